"""Temporary failures go back to the queue with exponential, jittered backoff; rate limits are honoured."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from sotong.db import utcnow
from sotong.outbox import transports
from sotong.outbox.delivery import backoff_seconds, run_once
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.settings import get_settings
from tests.factories import World
from tests.outbox.helpers import Failing, queue, temporary

Factory = Callable[[], Session]


def _install(monkeypatch: pytest.MonkeyPatch, error: Exception) -> Failing:
    failing = Failing(error)
    monkeypatch.setitem(transports.TRANSPORTS, failing.name, failing)
    return failing


def _reload(session: Session, item_id: int) -> OutboxItem:
    session.expire_all()
    item = session.get(OutboxItem, item_id)
    assert item is not None
    return item


def test_temporary_failure_is_retried_later_and_later(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = _install(monkeypatch, temporary("503 Service Unavailable"))
    item_id = queue(session, org_id=world.songpa.id, transport="failing").id
    base = dt.timedelta(seconds=get_settings().outbox_backoff_base_seconds)
    now = utcnow()

    assert run_once(factory, worker_id="w1", now=now) == 1
    item = _reload(session, item_id)
    assert (item.status, item.attempts, item.claimed_by) == (OutboxStatus.pending, 1, None)
    assert item.last_error == "503 Service Unavailable"
    assert now + base / 2 <= item.next_attempt_at <= now + base

    assert run_once(factory, worker_id="w1", now=now + base / 4) == 0  # not due yet
    second = item.next_attempt_at
    assert run_once(factory, worker_id="w1", now=second) == 1
    item = _reload(session, item_id)
    assert item.attempts == 2
    assert second + base <= item.next_attempt_at <= second + 2 * base
    assert failing.calls == 2


def test_unexpected_exceptions_are_retried_not_lost(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install(monkeypatch, RuntimeError("connection reset"))
    monkeypatch.setattr(Failing, "idempotent", True)  # a repeat cannot show twice: simply tried again
    item_id = queue(session, org_id=world.songpa.id, transport="failing").id

    run_once(factory, worker_id="w1")

    item = _reload(session, item_id)
    assert (item.status, item.last_error) == (OutboxStatus.pending, "RuntimeError: connection reset")


def test_unexpected_exceptions_of_a_platform_without_repeats_are_unknown(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install(monkeypatch, RuntimeError("connection reset"))  # after the request left? nobody can tell
    item_id = queue(session, org_id=world.songpa.id, transport="failing").id

    run_once(factory, worker_id="w1")

    item = _reload(session, item_id)
    assert (item.status, item.error_code) == (OutboxStatus.unknown, "outcome_unknown")
    assert item.last_error == "RuntimeError: connection reset"


def test_rate_limit_retry_after_is_honoured(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install(monkeypatch, temporary("429 Too Many Requests", retry_after=900))
    item_id = queue(session, org_id=world.songpa.id, transport="failing").id
    now = utcnow()

    run_once(factory, worker_id="w1", now=now)

    assert _reload(session, item_id).next_attempt_at == now + dt.timedelta(seconds=900)


def test_backoff_is_capped_and_jittered() -> None:
    settings = get_settings()
    rng = random.Random(7)
    delays = [backoff_seconds(attempt, rng=rng) for attempt in range(1, 40)]
    assert max(delays) <= settings.outbox_backoff_max_seconds
    assert min(delays[-5:]) >= settings.outbox_backoff_max_seconds / 2
    assert len({round(d, 3) for d in delays[-5:]}) == 5  # jitter: a burst does not retry in lockstep
