"""Channel tests: official accounts pointed at local fake platforms, the worker, and the web app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.app import create_app
from sotong.cases import actions
from sotong.cases.actions import Photo
from sotong.cases.actions import answer as send_answer
from sotong.cases.models import ComplaintType
from sotong.channels import accounts as channel_accounts
from sotong.channels.intake.conversations import close_silent
from sotong.db import session_factory, utcnow
from sotong.orgs.models import Channel, ChannelAccount
from sotong.outbox.delivery import run_once
from sotong.outbox.models import OutboxItem
from sotong.settings import Settings
from tests.cases.conftest import case  # noqa: F401 - a case in progress (the answer previews)
from tests.factories import World
from tests.fakes import graph as fake_graph
from tests.fakes import mastodon as fake_mastodon
from tests.fakes import x as fake_x


@pytest.fixture
def factory(engine: Engine) -> Callable[[], Session]:
    return session_factory(engine)


@pytest.fixture
def deliver(factory: Callable[[], Session]) -> Callable[[], int]:
    """Run the outbox worker once, as `sotong worker` would."""
    return lambda: run_once(factory, worker_id="test-worker")


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings=settings, engine=engine)) as c:
        yield c


@pytest.fixture
def mastodon() -> Iterator[fake_mastodon.FakeMastodon]:
    with fake_mastodon.running() as fake:
        yield fake


@pytest.fixture
def mastodon_account(session: Session, world: World, mastodon: fake_mastodon.FakeMastodon) -> ChannelAccount:
    """Songpa's account on the fake instance."""
    return channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.mastodon,
        handle="@songpa@127.0.0.1",
        department_id=world.roads.id,
        config={"base_url": mastodon.base_url, "access_token": mastodon.token},
    )


def fall_silent(session: Session) -> int:
    """The citizens have stopped writing: the worker's pass opens each chat conversation's case, as it does once
    the account's window of silence has passed; returns how many were opened."""
    session.rollback()
    return close_silent(session_factory(session.get_bind()), now=utcnow() + dt.timedelta(hours=1))


def outbox(session: Session, case_id: int) -> list[OutboxItem]:
    """What the case sent the citizen (staff notifications left out), oldest first, fresh from the database."""
    session.expire_all()
    query = select(OutboxItem).where(OutboxItem.case_id == case_id, OutboxItem.transport != "inapp")
    return list(session.scalars(query.order_by(OutboxItem.id)))


def answer_case(session: Session, world: World, case_id: int, body: str, photos: Sequence[Photo] = ()) -> None:
    """The officer's side, through the real actions: triage, assign, answer (with result photos if given)."""
    actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=case_id,
        complaint_type=ComplaintType.grievance,
        category_id=world.pothole.id,
    )
    actions.assign(session, actor=world.actor(world.manager), case_id=case_id, officer_id=world.officer.id)
    if photos:
        send_answer(session, actor=world.actor(world.officer), case_id=case_id, body=body, photos=photos)
    else:
        actions.answer(session, actor=world.actor(world.officer), case_id=case_id, body=body)


@pytest.fixture
def graph() -> Iterator[fake_graph.FakeGraph]:
    with fake_graph.running() as fake:
        yield fake


@pytest.fixture
def facebook_account(session: Session, world: World, graph: fake_graph.FakeGraph) -> ChannelAccount:
    """Songpa's Page, its webhook pointed at us and its Graph calls at the fake."""
    return channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.facebook,
        handle="songpa.gu",
        department_id=world.roads.id,
        config={
            "page_id": graph.page_id,
            "page_access_token": graph.page_token,
            "app_secret": graph.app_secret,
            "verify_token": "songpa-verify-7f3a",
            "graph_url": graph.graph_url,
        },
    )


@pytest.fixture
def x() -> Iterator[fake_x.FakeX]:
    with fake_x.running() as fake:
        yield fake


@pytest.fixture
def x_account(session: Session, world: World, x: fake_x.FakeX) -> ChannelAccount:
    """Songpa's @songpaOK, its API calls pointed at the fake X."""
    return channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.x,
        handle="@songpaOK_fake",
        department_id=world.roads.id,
        config={
            "base_url": x.base_url,
            "bearer_token": x.token,
            "user_id": x.me["id"],
            "consumer_secret": x.consumer_secret,
        },
    )
