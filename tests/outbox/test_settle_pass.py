"""The worker pass that asks a platform again about deliveries of unknown outcome (`settle_unknown`): which items it
asks about, what it records from each answer (and the audit event), and that a person's decision meanwhile stands.
The SENS transport that really asks is tested in tests/channels/test_sms_settle.py; here a scripted platform."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.db import atomic, utcnow
from sotong.outbox import transports
from sotong.outbox.delivery import SETTLE_AGAIN, SETTLE_FOR, settle_unknown
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.outbox.transports import Delivery, Settlement, Transport
from tests.factories import World
from tests.outbox.helpers import queue

Factory = Callable[[], Session]


@dataclass
class Askable(Transport):
    """A platform that can be asked whether a message arrived; answers as scripted, per item."""

    name: ClassVar[str] = "askable"
    settles: ClassVar[bool] = True
    answers: dict[int, Settlement] = field(default_factory=dict)
    asked: list[int] = field(default_factory=list)

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        return "sent"

    def settle(self, delivery: Delivery, *, session: Session) -> Settlement:
        self.asked.append(delivery.item_id)
        return self.answers.get(delivery.item_id, Settlement(sent=None))


@pytest.fixture
def askable(monkeypatch: pytest.MonkeyPatch) -> Askable:
    transport = Askable()
    monkeypatch.setitem(transports.TRANSPORTS, transport.name, transport)
    return transport


def _unknown(
    session: Session, world: World, *, started: dt.datetime, due: dt.datetime, transport: str = "askable"
) -> int:
    """An item whose send began at `started` and whose outcome a crash lost, to be asked about from `due`."""
    item = queue(session, org_id=world.songpa.id, transport=transport, case_id=None)
    with atomic(session):
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item.id)
            .values(
                status=OutboxStatus.unknown,
                send_started_at=started,
                next_attempt_at=due,
                attempts=1,
                claimed_by="crashed",
                lease_expires_at=started,
                last_error="outcome unknown",
                error_code="outcome_unknown",
            )
        )
    return item.id


def _row(session: Session, item_id: int) -> OutboxItem:
    session.expire_all()
    item = session.get(OutboxItem, item_id)
    assert item is not None
    return item


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None else moment


def test_only_due_unknown_items_of_a_platform_that_can_be_asked_are_asked(
    session: Session, world: World, factory: Factory, askable: Askable, recording: object
) -> None:
    now = utcnow()
    recent = now - dt.timedelta(minutes=5)
    asked = _unknown(session, world, started=recent, due=now)
    not_yet = _unknown(session, world, started=recent, due=now + dt.timedelta(seconds=1))
    too_old = _unknown(session, world, started=now - SETTLE_FOR, due=now)
    other_platform = _unknown(session, world, started=recent, due=now, transport="recording")
    pending = queue(session, org_id=world.songpa.id, transport="askable").id
    settled = _unknown(session, world, started=recent, due=now)
    with atomic(session):  # a person settled this one already: sent, and its send had begun
        session.execute(update(OutboxItem).where(OutboxItem.id == settled).values(status=OutboxStatus.sent))

    assert settle_unknown(factory, now=now) == 0  # asked, and the platform could not tell
    assert askable.asked == [asked]
    assert _utc(_row(session, asked).next_attempt_at) == now + SETTLE_AGAIN  # asked again later, not at once
    assert _row(session, asked).status is OutboxStatus.unknown
    for untouched in (not_yet, too_old, other_platform):
        assert _row(session, untouched).status is OutboxStatus.unknown
    for untouched, due in ((too_old, now), (other_platform, now), (settled, now)):
        assert _utc(_row(session, untouched).next_attempt_at) == due  # not even taken for a look
    assert _row(session, pending).status is OutboxStatus.pending
    assert _row(session, settled).status is OutboxStatus.sent

    assert settle_unknown(factory, now=now) == 0
    assert askable.asked == [asked]  # not asked twice within SETTLE_AGAIN


def test_an_item_the_platform_has_is_recorded_sent_with_its_id_and_audited(
    session: Session, world: World, factory: Factory, askable: Askable
) -> None:
    now = utcnow()
    item_id = _unknown(session, world, started=now - dt.timedelta(minutes=5), due=now)
    askable.answers[item_id] = Settlement(sent=True, external_ref="RSSA-000042")

    assert settle_unknown(factory, now=now) == 1
    item = _row(session, item_id)
    assert (item.status, item.external_ref, _utc(item.sent_at)) == (OutboxStatus.sent, "RSSA-000042", now)
    assert (item.claimed_by, item.lease_expires_at, item.last_error, item.error_code) == (None, None, None, None)
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.settled")).all()
    assert event.org_id == world.songpa.id
    assert event.details == {
        "item_id": item_id,
        "kind": "notify",
        "transport": "askable",
        "sent": True,
        "external_ref": "RSSA-000042",
    }


def test_an_item_the_platform_never_got_is_sent_once_as_if_new(
    session: Session, world: World, factory: Factory, askable: Askable
) -> None:
    now = utcnow()
    item_id = _unknown(session, world, started=now - dt.timedelta(minutes=5), due=now)
    askable.answers[item_id] = Settlement(sent=False)

    assert settle_unknown(factory, now=now) == 1
    item = _row(session, item_id)
    assert (item.status, _utc(item.next_attempt_at), item.send_started_at, item.attempts) == (
        OutboxStatus.pending,
        now,
        None,
        0,
    )
    assert (item.claimed_by, item.lease_expires_at, item.last_error, item.error_code) == (None, None, None, None)


def test_what_a_person_decided_meanwhile_stands(
    session: Session, world: World, factory: Factory, askable: Askable, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    item_id = _unknown(session, world, started=now - dt.timedelta(minutes=5), due=now)
    askable.answers[item_id] = Settlement(sent=True, external_ref="late")

    def resolved_by_a_person(delivery: Delivery, *, session: Session) -> Settlement:
        # While the platform was being asked, staff marked it "delivered by phone".
        with Session(session.get_bind()) as other, atomic(other):
            other.execute(update(OutboxItem).where(OutboxItem.id == item_id).values(status=OutboxStatus.sent))
        return Settlement(sent=True, external_ref="late")

    monkeypatch.setattr(askable, "settle", resolved_by_a_person)
    assert settle_unknown(factory, now=now) == 0
    assert _row(session, item_id).external_ref is None
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.settled")).all() == []
