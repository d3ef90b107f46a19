"""Only the worker holding an item records its outcome (`claimed_by` and `sending`, not just `sending`).

Each test has a stale worker (its lease ran out) act while a rescuer holds the same item and has not recorded
anything yet: the row is `sending` either way, so only the holder check tells the two workers apart. Run on
SQLite and PostgreSQL like the rest of the outbox tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.db import utcnow
from sotong.notifications.models import Notification
from sotong.outbox import delivery as outbox_delivery
from sotong.outbox import transports
from sotong.outbox.delivery import claim, deliver, release, renew
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.settings import get_settings
from tests.factories import World
from tests.outbox.helpers import Failing, Recording, queue, temporary

Factory = Callable[[], Session]


def _late(t0: dt.datetime) -> dt.datetime:
    return t0 + dt.timedelta(seconds=get_settings().outbox_lease_seconds + 1)


def _row(session: Session, item_id: int) -> OutboxItem:
    session.expire_all()
    item = session.get(OutboxItem, item_id)
    assert item is not None
    return item


def _two_holders(factory: Factory, item_id: int, t0: dt.datetime) -> tuple[Any, Any]:
    """The stale worker's delivery, then the rescuer's claim of the same item after the lease ran out."""
    with factory() as slow:
        [stale] = claim(slow, worker_id="slow", now=t0)
    with factory() as rescuer:
        [fresh] = claim(rescuer, worker_id="rescuer", now=_late(t0))
    assert (stale.item_id, fresh.item_id) == (item_id, item_id)
    return stale, fresh


def test_a_stale_worker_cannot_record_sent_over_the_holder(session: Session, world: World, factory: Factory) -> None:
    item_id = queue(
        session, org_id=world.songpa.id, transport="inapp", payload={"user_id": world.officer.id, "text": "배정"}
    ).id
    t0 = utcnow()
    stale, fresh = _two_holders(factory, item_id, t0)

    with factory() as slow:
        assert deliver(slow, stale, worker_id="slow", now=_late(t0)) is OutboxStatus.sending
    item = _row(session, item_id)
    assert (item.status, item.claimed_by, item.sent_at) == (OutboxStatus.sending, "rescuer", None)
    # The in-app notification the stale worker wrote went with its rolled-back transaction.
    assert session.scalars(select(Notification)).all() == []

    with factory() as rescuer:
        assert deliver(rescuer, fresh, worker_id="rescuer", now=_late(t0)) is OutboxStatus.sent
    assert len(session.scalars(select(Notification)).all()) == 1


def test_a_stale_worker_cannot_record_a_failure_over_the_holder(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = Failing(temporary())
    monkeypatch.setitem(transports.TRANSPORTS, failing.name, failing)
    item_id = queue(session, org_id=world.songpa.id, transport="failing").id
    t0 = utcnow()
    stale, _fresh = _two_holders(factory, item_id, t0)

    with factory() as slow:
        assert deliver(slow, stale, worker_id="slow", now=_late(t0)) is OutboxStatus.sending
    item = _row(session, item_id)
    # Not handed back to `pending` (someone else holds it), no error written over the holder's attempt.
    assert (item.status, item.claimed_by, item.last_error) == (OutboxStatus.sending, "rescuer", None)


def test_a_stale_worker_can_neither_renew_nor_release_the_holders_lease(
    session: Session, world: World, factory: Factory, recording: Recording
) -> None:
    item_id = queue(session, org_id=world.songpa.id).id
    t0 = utcnow()
    _two_holders(factory, item_id, t0)
    before = _row(session, item_id)
    lease, attempts = before.lease_expires_at, before.attempts

    with factory() as slow:
        assert renew(slow, worker_id="slow", item_ids=[item_id], now=_late(t0) + dt.timedelta(minutes=5)) == set()
        assert release(slow, worker_id="slow", item_ids=[item_id]) == 0
    item = _row(session, item_id)
    assert (item.status, item.claimed_by, item.lease_expires_at, item.attempts) == (
        OutboxStatus.sending,
        "rescuer",
        lease,
        attempts,
    )
    with factory() as rescuer:
        assert renew(rescuer, worker_id="rescuer", item_ids=[item_id], now=_late(t0)) == {item_id}
        assert release(rescuer, worker_id="rescuer", item_ids=[item_id]) == 1
    assert _row(session, item_id).status is OutboxStatus.pending


def test_a_claim_takes_only_items_still_due_when_it_writes(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite nothing is locked between the claim's SELECT and its UPDATE: another worker may have claimed an
    item in between. The UPDATE checks "due" again, so a stale SELECT never takes a held item a second time."""
    held = queue(session, org_id=world.songpa.id).id
    free = queue(session, org_id=world.songpa.id).id
    t0 = utcnow()
    with factory() as first:
        assert [d.item_id for d in claim(first, worker_id="first", now=t0, batch=1)] == [held]

    real = outbox_delivery.claim_query

    def stale_select(now: dt.datetime, *, batch: int, postgresql: bool) -> Any:
        # What a SELECT run just before the first worker's commit saw: both items due.
        return select(OutboxItem.id).where(OutboxItem.id.in_([held, free])).order_by(OutboxItem.id)

    monkeypatch.setattr(outbox_delivery, "claim_query", stale_select)
    with factory() as second:
        taken = claim(second, worker_id="second", now=t0, batch=10)
    monkeypatch.setattr(outbox_delivery, "claim_query", real)

    assert [d.item_id for d in taken] == [free]
    assert (_row(session, held).claimed_by, _row(session, held).attempts) == ("first", 1)
