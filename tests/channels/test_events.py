"""Queued webhook intake: one INSERT per request, the worker takes it in; never stored twice, never dropped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select, update
from sqlalchemy.orm import Session

from sotong.app import create_app
from sotong.cases.models import Case, Message
from sotong.channels.intake import events
from sotong.channels.intake.events import EventStatus, InboundEvent, queue_event
from sotong.channels.webhooks import process_events
from sotong.orgs.models import ChannelAccount
from sotong.outbox.models import OutboxItem
from sotong.settings import get_settings, reset_settings_cache
from sotong.worker import run_pass
from tests.fakes.graph import FakeGraph


def target(account: ChannelAccount) -> dict[str, object]:
    return {"account_id": account.id, "org_id": account.org_id, "channel": account.channel.value}


def count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_same_body_is_queued_once(session: Session, facebook_account: ChannelAccount, graph: FakeGraph) -> None:
    _, body = graph.comment("잠실역 4번 출구 앞 신호등이 고장났어요")
    _, other = graph.comment("석촌호수 가로등이 꺼져 있어요")
    assert queue_event(session, **target(facebook_account), body=body) is True
    assert queue_event(session, **target(facebook_account), body=body) is False
    assert queue_event(session, **target(facebook_account), body=other) is True
    assert count(session, InboundEvent) == 2
    assert count(session, Message) == 0


def test_the_worker_takes_events_in_once_even_when_taken_twice(
    session: Session, factory: Callable[[], Session], facebook_account: ChannelAccount, graph: FakeGraph
) -> None:
    comment_id, body = graph.comment("잠실역 4번 출구 앞 신호등이 고장났어요")
    queue_event(session, **target(facebook_account), body=body)
    assert process_events(factory) == 1
    message = session.scalars(select(Message)).one()
    assert message.external_id == comment_id
    assert count(session, Case) == 1
    event = session.scalars(select(InboundEvent)).one()
    assert (event.status, event.attempts) == (EventStatus.done, 1)
    assert event.processed_at is not None

    # A worker that crashed after taking it in but before marking it done: the event comes round again.
    session.execute(
        update(InboundEvent).values(status=EventStatus.processing, available_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    )
    session.commit()
    assert process_events(factory) == 1
    assert count(session, Message) == 1 and count(session, Case) == 1


def test_a_leased_event_is_not_taken_by_another_worker(
    session: Session, factory: Callable[[], Session], facebook_account: ChannelAccount, graph: FakeGraph
) -> None:
    _, body = graph.comment("보도블럭이 깨졌어요")
    queue_event(session, **target(facebook_account), body=body)
    with factory() as other:
        assert events.claim(other, batch=10, now=events.utcnow()) != []
    assert process_events(factory) == 0  # leased by the other worker, lease still running
    assert count(session, Message) == 0


def test_an_event_that_cannot_be_taken_in_is_retried_then_failed_and_kept(
    session: Session, factory: Callable[[], Session], facebook_account: ChannelAccount, graph: FakeGraph
) -> None:
    queue_event(session, **target(facebook_account), body=b'{"object": "page", "entry": "broken"}')
    for attempt in range(1, events.MAX_ATTEMPTS + 1):
        session.execute(update(InboundEvent).values(available_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))
        session.commit()
        finished = process_events(factory)
        event = session.scalars(select(InboundEvent)).one()
        session.refresh(event)
        assert event.attempts == attempt
        assert "entry is not a list" in (event.last_error or "")
        if attempt < events.MAX_ATTEMPTS:
            assert (finished, event.status) == (0, EventStatus.pending)
            assert event.available_at > dt.datetime.now(dt.UTC)
    assert (finished, event.status) == (1, EventStatus.failed)
    assert event.body.startswith(b'{"object"')  # kept for a retry after a fix


@pytest.fixture
def queued_client(engine: Engine, settings: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("SOTONG_WEBHOOK_QUEUE", "true")
    reset_settings_cache()
    with TestClient(create_app(settings=get_settings(), engine=engine)) as c:
        yield c


def test_a_queued_webhook_is_answered_at_once_and_taken_in_by_the_worker(
    session: Session,
    factory: Callable[[], Session],
    queued_client: TestClient,
    facebook_account: ChannelAccount,
    graph: FakeGraph,
) -> None:
    hook = f"/hooks/facebook/{facebook_account.id}"
    _, body = graph.comment("잠실역 4번 출구 앞 신호등이 고장났어요")
    first = queued_client.post(hook, content=body, headers=graph.sign(body))
    retry = queued_client.post(hook, content=body, headers=graph.sign(body))
    forged = queued_client.post(hook, content=body, headers=graph.sign(body, secret="wrong"))
    malformed_body = b'{"object": "page", "entry": {"id": "1"}}'
    malformed = queued_client.post(hook, content=malformed_body, headers=graph.sign(malformed_body))
    assert (first.status_code, first.json()) == (200, {"queued": 1, "duplicates": 0})
    assert (retry.status_code, retry.json()) == (200, {"queued": 0, "duplicates": 1})
    assert forged.status_code == 403 and malformed.status_code == 400
    assert count(session, InboundEvent) == 1 and count(session, Message) == 0

    run_pass(factory, worker_id="test")
    assert count(session, Message) == 1
    case = session.scalars(select(Case)).one()
    receipts = session.scalars(select(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.kind == "receipt"))
    assert len(list(receipts)) == 1


def test_an_accounts_events_are_taken_in_together_and_a_bad_one_is_retried_alone(
    session: Session, factory: Callable[[], Session], facebook_account: ChannelAccount, graph: FakeGraph
) -> None:
    bodies = [graph.comment(f"가로등 {n}번이 꺼졌어요")[1] for n in range(5)]
    for body in bodies[:2]:
        queue_event(session, **target(facebook_account), body=body)
    queue_event(session, **target(facebook_account), body=b'{"object": "page", "entry": "broken"}')
    for body in bodies[2:]:
        queue_event(session, **target(facebook_account), body=body)

    assert process_events(factory) == 5  # the five good ones done; the bad one waits for its retry
    assert count(session, Message) == 5 and count(session, Case) == 5
    statuses = {bytes(e.body): e.status for e in session.scalars(select(InboundEvent))}
    assert [statuses[body] for body in bodies] == [EventStatus.done] * 5
    broken = session.scalars(select(InboundEvent).where(InboundEvent.status == EventStatus.pending)).one()
    assert "entry is not a list" in (broken.last_error or "") and broken.attempts == 1


def test_a_backlog_of_one_account_is_taken_in_in_a_few_transactions(
    session: Session, engine: Engine, factory: Callable[[], Session], facebook_account: ChannelAccount, graph: FakeGraph
) -> None:
    for n in range(10):
        queue_event(session, **target(facebook_account), body=graph.comment(f"불법 주차 {n}")[1])
    commits: list[int] = []
    event.listen(engine, "commit", lambda _: commits.append(1))
    assert process_events(factory) == 10
    assert count(session, Message) == 10
    assert len(commits) < 10  # claim, intake, health, done: not three or more for each event
