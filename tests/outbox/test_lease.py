"""Leases: a claimed item is left alone until its lease expires, then reclaimed; the old holder cannot
overwrite the outcome; a worker stopping hands back what it did not start.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.db import utcnow
from sotong.notifications.models import Notification
from sotong.outbox import transports
from sotong.outbox.delivery import claim, deliver, run_once
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.outbox.transports import Delivery, Transport
from sotong.settings import get_settings, reset_settings_cache
from tests.factories import World
from tests.outbox.helpers import Recording, queue

Factory = Callable[[], Session]


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=get_settings().outbox_lease_seconds)


def _reload(session: Session, item_id: int) -> OutboxItem:
    session.expire_all()
    item = session.get(OutboxItem, item_id)
    assert item is not None
    return item


def test_claimed_item_is_reclaimed_only_after_its_lease(
    session: Session, world: World, factory: Factory, recording: Recording
) -> None:
    item_id = queue(session, org_id=world.songpa.id).id
    t0 = utcnow()
    with factory() as crashed:
        assert [d.item_id for d in claim(crashed, worker_id="crashed", now=t0)] == [item_id]

    assert run_once(factory, worker_id="rescuer", now=t0 + _lease() / 2) == 0
    assert run_once(factory, worker_id="rescuer", now=t0 + _lease() + dt.timedelta(seconds=1)) == 1

    item = _reload(session, item_id)
    assert (item.status, item.claimed_by, item.attempts) == (OutboxStatus.sent, "rescuer", 2)
    assert len(recording.sent) == 1


def test_worker_whose_lease_expired_cannot_overwrite(session: Session, world: World, factory: Factory) -> None:
    item_id = queue(
        session, org_id=world.songpa.id, transport="inapp", payload={"user_id": world.officer.id, "text": "배정"}
    ).id
    t0 = utcnow()
    late = t0 + _lease() + dt.timedelta(seconds=1)
    with factory() as slow:
        [stale] = claim(slow, worker_id="slow", now=t0)
        assert run_once(factory, worker_id="rescuer", now=late) == 1
        # The slow worker finally gets to it: its in-app write is rolled back, the row keeps the rescuer's outcome.
        assert deliver(slow, stale, worker_id="slow", now=late + dt.timedelta(seconds=5)) is OutboxStatus.sending

    item = _reload(session, item_id)
    assert (item.status, item.claimed_by, item.sent_at) == (OutboxStatus.sent, "rescuer", late)
    assert len(session.scalars(select(Notification)).all()) == 1


def test_item_abandoned_too_often_fails_instead_of_killing_workers(
    session: Session, world: World, factory: Factory, recording: Recording, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOTONG_OUTBOX_MAX_ATTEMPTS", "2")
    reset_settings_cache()
    item_id = queue(session, org_id=world.songpa.id).id
    step = _lease() + dt.timedelta(seconds=1)
    t0 = utcnow()
    for n in range(2):  # two workers claim it and die
        with factory() as doomed:
            assert claim(doomed, worker_id=f"doomed-{n}", now=t0 + n * step)

    assert run_once(factory, worker_id="w3", now=t0 + 2 * step) == 1

    item = _reload(session, item_id)
    assert item.status is OutboxStatus.failed
    assert item.last_error is not None and item.last_error.startswith("abandoned")
    assert recording.sent == []


@dataclass
class StopsTheWorker(Transport):
    """Delivers, and meanwhile the worker is asked to stop (SIGTERM arriving mid-batch)."""

    stop: threading.Event
    name: ClassVar[str] = "stopping"
    sent: int = 0

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        self.sent += 1
        self.stop.set()
        return None


def test_stopping_finishes_the_current_item_and_hands_back_the_rest(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    stop = threading.Event()
    transport = StopsTheWorker(stop)
    monkeypatch.setitem(transports.TRANSPORTS, transport.name, transport)
    ids = [queue(session, org_id=world.songpa.id, transport="stopping").id for _ in range(3)]

    assert run_once(factory, worker_id="w1", stop=stop) == 1

    items = [_reload(session, i) for i in ids]
    assert [i.status for i in items] == [OutboxStatus.sent, OutboxStatus.pending, OutboxStatus.pending]
    assert [i.attempts for i in items] == [1, 0, 0]
    assert items[1].claimed_by is None
