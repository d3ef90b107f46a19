"""A send that may have reached a platform without an idempotency key is never repeated by itself: "sending started"
is committed before the platform is called; a worker reclaiming such an item asks the platform if it can, and
otherwise shows the item as "outcome unknown". Platforms that drop repeats are simply called again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.db import utcnow
from sotong.outbox import transports
from sotong.outbox.delivery import claim, deliver, run_once
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.outbox.transports import Delivery, Settlement, Transport, TransportError
from sotong.settings import get_settings
from tests.factories import World
from tests.outbox.helpers import queue

Factory = Callable[[], Session]


@dataclass
class Platform(Transport):
    """A platform without an idempotency key that may or may not be asked what it has."""

    name: ClassVar[str] = "platform"
    answer: Settlement | None = None  # None: cannot be asked
    sent: list[int] = field(default_factory=list)
    started_seen: list[bool] = field(default_factory=list)
    asked: int = 0

    def settle(self, delivery: Delivery, *, session: Session) -> Settlement:
        self.asked += 1
        return self.answer if self.answer is not None else Settlement(sent=None)

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        self.sent.append(delivery.item_id)
        return f"p-{delivery.item_id}"


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch) -> Platform:
    transport = Platform()
    monkeypatch.setitem(transports.TRANSPORTS, transport.name, transport)
    return transport


def _later() -> dt.datetime:
    return utcnow() + dt.timedelta(seconds=get_settings().outbox_lease_seconds + 1)


def _interrupted(session: Session, world: World, factory: Factory) -> int:
    """An item whose worker committed "sending started" and died before recording anything."""
    item_id = queue(session, org_id=world.songpa.id, transport="platform").id

    class Dies(BaseException):  # stands for SIGKILL, which no handler catches either
        pass

    class Dying(Platform):
        def send(self, delivery: Delivery, *, session: Session) -> str | None:
            raise Dies  # stands for SIGKILL: nothing after this line of the worker runs

    with factory() as doomed:
        [delivery] = claim(doomed, worker_id="doomed", now=utcnow())
        original = transports.TRANSPORTS["platform"]
        transports.TRANSPORTS["platform"] = Dying()
        try:
            with pytest.raises(Dies):
                deliver(doomed, delivery, worker_id="doomed")
        finally:
            transports.TRANSPORTS["platform"] = original
    return item_id


def _item(session: Session, item_id: int) -> OutboxItem:
    session.expire_all()
    item = session.get(OutboxItem, item_id)
    assert item is not None
    return item


def test_sending_started_is_committed_before_the_platform_is_called(
    session: Session, world: World, factory: Factory, platform: Platform
) -> None:
    item_id = _interrupted(session, world, factory)
    item = _item(session, item_id)
    assert item.status is OutboxStatus.sending and item.send_started_at is not None


def test_an_interrupted_send_becomes_unknown_and_is_not_sent_again(
    session: Session, world: World, factory: Factory, platform: Platform
) -> None:
    item_id = _interrupted(session, world, factory)

    assert run_once(factory, worker_id="rescuer", now=_later()) == 1

    item = _item(session, item_id)
    assert (item.status, item.error_code) == (OutboxStatus.unknown, "interrupted")
    assert platform.sent == [] and platform.asked == 1
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.unknown")).all()
    assert event.details["item_id"] == item_id
    # Nobody claims it again: it waits for a person.
    assert run_once(factory, worker_id="rescuer", now=_later() + dt.timedelta(days=1)) == 0


def test_a_platform_that_has_it_settles_it_as_sent(
    session: Session, world: World, factory: Factory, platform: Platform
) -> None:
    item_id = _interrupted(session, world, factory)
    platform.answer = Settlement(sent=True, external_ref="RSSA-000042")

    run_once(factory, worker_id="rescuer", now=_later())

    item = _item(session, item_id)
    assert (item.status, item.external_ref, item.error_code) == (OutboxStatus.sent, "RSSA-000042", None)
    assert platform.sent == []


def test_a_platform_that_never_got_it_is_sent_it_once(
    session: Session, world: World, factory: Factory, platform: Platform
) -> None:
    item_id = _interrupted(session, world, factory)
    platform.answer = Settlement(sent=False)

    run_once(factory, worker_id="rescuer", now=_later())

    assert _item(session, item_id).status is OutboxStatus.sent
    assert platform.sent == [item_id]


def test_a_platform_that_drops_repeats_is_called_again(
    session: Session, world: World, factory: Factory, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    item_id = _interrupted(session, world, factory)
    monkeypatch.setattr(Platform, "idempotent", True)

    run_once(factory, worker_id="rescuer", now=_later())

    assert _item(session, item_id).status is OutboxStatus.sent
    assert platform.sent == [item_id] and platform.asked == 0


@dataclass
class Unanswered(Transport):
    name: ClassVar[str] = "platform"

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        raise TransportError("kakao: outcome unknown, no answer after the request was sent", unknown=True)


def test_a_request_without_an_answer_is_unknown_not_failed(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(transports.TRANSPORTS, "platform", Unanswered())
    item_id = queue(session, org_id=world.songpa.id, transport="platform").id

    run_once(factory, worker_id="w1")

    item = _item(session, item_id)
    assert (item.status, item.error_code) == (OutboxStatus.unknown, "outcome_unknown")
    assert "no answer after the request was sent" in (item.last_error or "")
