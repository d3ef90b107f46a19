"""The small rules of the outbox that staff and platforms feel: which failure a message names, how long a retry
waits, and how a holder's lease is renewed or handed back (only its own items, only while they are being sent)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from sotong.db import utcnow
from sotong.outbox.delivery import backoff_seconds, claim, error_code, release, renew
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.outbox.transports import TransportError
from sotong.settings import get_settings
from tests.factories import World
from tests.outbox.helpers import queue

Factory = Callable[[], Session]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (TransportError("sms: account config lacks 'service_id'", permanent=True), "config"),
        (TransportError("kakao: network error: connection reset"), "network"),
        (TransportError("mastodon: instance unreachable"), "network"),
        (TransportError("x: HTTP 429 too many requests"), "rate_limited"),
        (TransportError("x: slow down", retry_after=60), "rate_limited"),
        (TransportError("sms: no mobile number to send to", permanent=True), "recipient"),
        (TransportError("graph: HTTP 400 (#100) unsupported", permanent=True), "refused"),
        (TransportError("graph: HTTP 503"), "temporary"),
        (TransportError("anything", code="outcome_unknown"), "outcome_unknown"),
        (RuntimeError("a bug"), "internal"),
    ],
)
def test_each_failure_is_named_for_staff(error: BaseException, code: str) -> None:
    assert error_code(error) == code


class Bounds:
    """A random source that returns the range it was asked to draw from, so the jitter's bounds can be read."""

    def uniform(self, low: float, high: float) -> tuple[float, float]:  # type: ignore[override]
        return (low, high)


def test_retries_wait_twice_as_long_each_time_with_jitter_in_the_upper_half(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOTONG_OUTBOX_BACKOFF_BASE_SECONDS", "30")
    monkeypatch.setenv("SOTONG_OUTBOX_BACKOFF_MAX_SECONDS", "3600")
    from sotong.settings import reset_settings_cache

    reset_settings_cache()
    rng = Bounds()
    assert backoff_seconds(1, rng=rng) == (15, 30)  # type: ignore[arg-type]
    assert backoff_seconds(2, rng=rng) == (30, 60)  # type: ignore[arg-type]
    assert backoff_seconds(4, rng=rng) == (120, 240)  # type: ignore[arg-type]
    assert backoff_seconds(8, rng=rng) == (1800, 3600)  # type: ignore[arg-type]  # capped
    assert backoff_seconds(10_000, rng=rng) == (1800, 3600)  # type: ignore[arg-type]  # no overflow
    assert backoff_seconds(3, retry_after=7.5) == 7.5  # the platform's own wait wins
    assert backoff_seconds(3, retry_after=-1) == 0.0


def test_a_holder_renews_only_the_items_it_names_and_holds(session: Session, world: World, factory: Factory) -> None:
    named, kept, theirs = (queue(session, org_id=world.songpa.id).id for _ in range(3))
    t0 = utcnow()
    with factory() as worker:
        claimed = claim(worker, worker_id="w1", now=t0, batch=2)
    with factory() as other:
        claim(other, worker_id="w2", now=t0, batch=1)
    assert sorted(d.item_id for d in claimed) == [named, kept]

    later = t0 + dt.timedelta(seconds=30)
    with factory() as worker:
        assert renew(worker, worker_id="w1", item_ids=[named, theirs], now=later) == {named}
    lease = dt.timedelta(seconds=get_settings().outbox_lease_seconds)
    assert _lease(session, named) == later + lease
    assert _lease(session, kept) == t0 + lease  # held, but not named: a renewal is for what is still being sent
    assert _lease(session, theirs) == t0 + lease


def test_a_holder_hands_back_only_the_items_it_names_and_holds_and_the_attempt_does_not_count(
    session: Session, world: World, factory: Factory
) -> None:
    named, kept, theirs = (queue(session, org_id=world.songpa.id).id for _ in range(3))
    t0 = utcnow()
    with factory() as worker:
        claim(worker, worker_id="w1", now=t0, batch=2)
    with factory() as other:
        claim(other, worker_id="w2", now=t0, batch=1)

    with factory() as worker:
        assert release(worker, worker_id="w1", item_ids=[named, theirs]) == 1
        assert release(worker, worker_id="w1", item_ids=[named]) == 0  # already handed back: nothing to do
    session.expire_all()
    back, still, held = (session.get(OutboxItem, i) for i in (named, kept, theirs))
    assert back is not None and still is not None and held is not None
    assert (back.status, back.claimed_by, back.lease_expires_at, back.attempts) == (OutboxStatus.pending, None, None, 0)
    assert (still.status, still.claimed_by, still.attempts) == (OutboxStatus.sending, "w1", 1)
    assert (held.status, held.claimed_by) == (OutboxStatus.sending, "w2")
    with factory() as worker:
        assert renew(worker, worker_id="w1", item_ids=[named], now=t0) == set()  # not held any more


def _lease(session: Session, item_id: int) -> dt.datetime | None:
    session.expire_all()
    item = session.get(OutboxItem, item_id)
    assert item is not None
    return _utc(item.lease_expires_at)


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands datetimes back without their zone; the outbox stores UTC."""
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None else moment
