"""Chat bubbles and the pass that closes conversations, racing on real PostgreSQL: two bubbles of one citizen at
the same moment, a bubble while a worker opens the case, two workers on one conversation. Each race is forced:
one side holds its transaction open until the other is seen waiting for it."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases.actions import IntakeResult, open_conversation, receive_message
from sotong.cases.inbound import InboundMessage
from sotong.cases.models import Case, Conversation, ConversationStatus, Message
from sotong.channels import accounts as channel_accounts
from sotong.channels.intake.conversations import close_silent
from sotong.db import atomic, make_engine, session_factory, utcnow
from sotong.orgs.models import Channel
from tests.factories import build_world

pytestmark = pytest.mark.postgres_only

LATER = dt.timedelta(hours=1)


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(pg_engine: Engine) -> Callable[[], Session]:
    return session_factory(pg_engine)


@pytest.fixture
def account(sessions: Callable[[], Session]) -> int:
    with sessions() as session:
        world = build_world(session)
        return channel_accounts.create_channel_account(
            session, actor=CLI, org_id=world.songpa.id, channel=Channel.naver, handle="wc-race", config={}
        ).id


def bubble(external_id: str, words: str, author: str = "u-race") -> InboundMessage:
    return InboundMessage(external_id=external_id, text=words, received_at=utcnow(), author_handle=author, chat=True)


def wait_until_blocked(engine: Engine, seconds: float = 30.0) -> None:
    """Return once another connection is waiting for a row or index lock (the race is on), or fail."""
    deadline = time.monotonic() + seconds
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            connection.rollback()
            if waiting:
                return
    raise AssertionError("the other side never waited for the lock")


class InThread:
    """Take one bubble in on its own connection, in a thread, keeping the result or the error."""

    def __init__(self, sessions: Callable[[], Session], account: int, inbound: InboundMessage) -> None:
        self.result: IntakeResult | None = None
        self.error: BaseException | None = None
        self.case_id: int | None = None
        self.conversation_id: int | None = None

        def run() -> None:
            try:
                with sessions() as session:
                    self.result = receive_message(session, account_id=account, inbound=inbound)
                    self.case_id = self.result.message.case_id
                    self.conversation_id = self.result.message.conversation_id
            except BaseException as exc:
                self.error = exc

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def join(self) -> None:
        self.thread.join(timeout=60)
        assert not self.thread.is_alive() and self.error is None, self.error


def test_two_bubbles_at_the_same_moment_gather_into_one_conversation(
    pg_engine: Engine, sessions: Callable[[], Session], account: int
) -> None:
    with sessions() as first:
        with atomic(first):
            receive_message(first, account_id=account, inbound=bubble("m-1", "가로등이 꺼졌어요"))
            # The first bubble's new conversation is not committed yet: the second must wait for it, not start
            # one of its own beside it.
            second = InThread(sessions, account, bubble("m-2", "송파대로 123 앞이에요"))
            wait_until_blocked(pg_engine)
        second.join()

        [conversation] = first.scalars(select(Conversation)).all()
        assert second.conversation_id == conversation.id
        assert close_silent(sessions, now=utcnow() + LATER) == 1
        first.expire_all()
        [case] = first.scalars(select(Case)).all()
        assert {m.case_id for m in first.scalars(select(Message))} == {case.id}
        assert "가로등이 꺼졌어요" in case.body and "송파대로 123 앞이에요" in case.body


def test_a_bubble_while_the_case_is_being_opened_follows_the_case_up(
    pg_engine: Engine, sessions: Callable[[], Session], account: int
) -> None:
    with sessions() as session:
        receive_message(session, account_id=account, inbound=bubble("m-1", "보도블록이 깨졌어요"))
        [conversation] = session.scalars(select(Conversation)).all()
        with atomic(session):
            case = open_conversation(session, conversation_id=conversation.id, now=utcnow() + LATER)
            assert case is not None
            late = InThread(sessions, account, bubble("m-2", "사진도 보낼게요"))
            wait_until_blocked(pg_engine)  # it waits for the conversation the worker holds
        late.join()

        assert late.case_id == case.id and late.conversation_id is None  # a follow-up of the new case
        session.expire_all()
        assert len(session.scalars(select(Case)).all()) == 1
        assert session.scalars(select(Conversation)).all() == [conversation]


def test_two_workers_open_a_conversation_once(sessions: Callable[[], Session], account: int) -> None:
    with sessions() as session:
        receive_message(session, account_id=account, inbound=bubble("m-1", "불법 주차 차량이 있어요"))
        [conversation] = session.scalars(select(Conversation)).all()
        session.rollback()
        with atomic(session):
            # The first worker holds the conversation: the second skips it instead of opening it again.
            session.scalar(select(Conversation).where(Conversation.id == conversation.id).with_for_update())
            assert close_silent(sessions, now=utcnow() + LATER) == 0
        assert close_silent(sessions, now=utcnow() + LATER) == 1
        assert close_silent(sessions, now=utcnow() + LATER) == 0

        session.expire_all()
        assert len(session.scalars(select(Case)).all()) == 1
        opened = session.get(Conversation, conversation.id)
        assert opened is not None and opened.status is ConversationStatus.opened
