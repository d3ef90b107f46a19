"""A due item is delivered once through its transport, and the outcome is recorded on the row."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.db import utcnow
from sotong.notifications.models import Notification
from sotong.outbox.delivery import run_once
from sotong.outbox.models import OutboxItem, OutboxStatus
from tests.factories import World
from tests.outbox.helpers import Recording, queue

Factory = Callable[[], Session]


def _reload(session: Session, item: OutboxItem) -> OutboxItem:
    session.expire_all()
    fresh = session.get(OutboxItem, item.id)
    assert fresh is not None
    return fresh


def test_inapp_notification_is_written_once(session: Session, world: World, factory: Factory) -> None:
    item = queue(
        session,
        org_id=world.songpa.id,
        transport="inapp",
        payload={"user_id": world.officer.id, "kind": "assigned", "text": "새 민원이 배정되었습니다"},
    )
    now = utcnow()

    assert run_once(factory, worker_id="w1", now=now) == 1
    assert run_once(factory, worker_id="w1", now=now) == 0

    item = _reload(session, item)
    notes = session.scalars(select(Notification).where(Notification.user_id == world.officer.id)).all()
    assert [n.text for n in notes] == ["새 민원이 배정되었습니다"]
    assert item.status is OutboxStatus.sent
    assert item.sent_at == now
    assert item.external_ref == str(notes[0].id)
    assert (item.claimed_by, item.attempts, item.lease_expires_at, item.last_error) == ("w1", 1, None, None)


def test_transport_gets_the_payload_and_idempotency_key(
    session: Session, world: World, factory: Factory, recording: Recording
) -> None:
    item = queue(session, org_id=world.songpa.id, key="answer:7:1", payload={"body": "보수했습니다"})

    run_once(factory, worker_id="w1")

    [delivery] = recording.sent
    assert (delivery.item_id, delivery.idempotency_key) == (item.id, "answer:7:1")
    assert delivery.payload == {"body": "보수했습니다"}
    assert delivery.attempt == 1
    assert _reload(session, item).external_ref == "post-1"


def test_web_receipts_need_no_sending(session: Session, world: World, factory: Factory) -> None:
    item = queue(session, org_id=world.songpa.id, transport="web", kind="receipt")

    run_once(factory, worker_id="w1")

    item = _reload(session, item)
    assert (item.status, item.external_ref) == (OutboxStatus.sent, None)


def test_items_not_yet_due_wait(session: Session, world: World, factory: Factory, recording: Recording) -> None:
    later = utcnow().replace(year=utcnow().year + 1)
    queue(session, org_id=world.songpa.id, not_before=later)

    assert run_once(factory, worker_id="w1") == 0
    assert run_once(factory, worker_id="w1", now=later) == 1
    assert len(recording.sent) == 1


def test_a_batch_is_delivered_oldest_first(
    session: Session, world: World, factory: Factory, recording: Recording
) -> None:
    items = [queue(session, org_id=world.songpa.id) for _ in range(5)]

    assert run_once(factory, worker_id="w1", batch=3) == 3
    assert run_once(factory, worker_id="w1", batch=3) == 2

    assert [d.item_id for d in recording.sent] == [i.id for i in items]


def test_one_worker_pass_keeps_delivering_a_burst_beyond_one_batch(
    session: Session, world: World, factory: Factory, recording: Recording
) -> None:
    from sotong.outbox.delivery import DEFAULT_BATCH
    from sotong.worker import run_pass

    for _ in range(DEFAULT_BATCH * 2 + 5):
        queue(session, org_id=world.songpa.id)
    # A slice no busy machine runs out of: this is about looping past one batch, not about the clock.
    result = run_pass(factory, worker_id="w1", delivery_slice=3600)
    assert result.delivered == DEFAULT_BATCH * 2 + 5
    assert len(recording.sent) == DEFAULT_BATCH * 2 + 5


def test_a_burst_yields_to_the_rest_of_the_pass_when_its_slice_is_spent(
    session: Session, world: World, factory: Factory, recording: Recording
) -> None:
    from sotong.outbox.delivery import DEFAULT_BATCH
    from sotong.worker import run_pass

    for _ in range(DEFAULT_BATCH * 2 + 5):
        queue(session, org_id=world.songpa.id)
    # With the slice spent after the first batch, the escalation sweep and polling are not starved by a burst.
    assert run_pass(factory, worker_id="w1", delivery_slice=0).delivered == DEFAULT_BATCH
