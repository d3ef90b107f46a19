"""A permanent failure is not retried: the item fails, the case timeline says so, staff see it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.audit.service import case_timeline
from sotong.cases.models import CaseStatus
from sotong.notifications.models import Notification
from sotong.outbox import transports
from sotong.outbox.delivery import run_once
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.outbox.service import failed_deliveries
from sotong.outbox.transports import TransportError
from tests.factories import World, case_in_status, new_case
from tests.outbox.helpers import Failing

Factory = Callable[[], Session]


def test_permanent_failure_is_shown_on_the_case_and_to_staff(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    suspended = Failing(TransportError("403: this account is suspended", permanent=True))
    monkeypatch.setitem(transports.TRANSPORTS, "x", suspended)
    case = new_case(session, world)  # queues the receipt on X

    assert run_once(factory, worker_id="w1") == 1
    run_once(factory, worker_id="w1")  # the centre's notifications of it, never the receipt again

    session.expire_all()
    [failed] = failed_deliveries(session, org_id=world.songpa.id)
    assert (failed.case_id, failed.kind, failed.status) == (case.id, "receipt", OutboxStatus.failed)
    assert failed.last_error == "403: this account is suspended"
    assert suspended.calls == 1
    [event] = [e for e in case_timeline(session, case_id=case.id) if e.action == "outbox.failed"]
    assert event.actor_kind == "worker"
    assert event.details["item_id"] == failed.id
    assert event.details["permanent"] is True
    assert event.details["error"] == "403: this account is suspended"
    assert failed_deliveries(session, org_id=world.seoul.id) == []
    assert failed.error_code == "refused"
    # The centre hears of it in Korean (the case has no officer yet): what failed, on which case, why.
    [notice] = session.scalars(select(Notification).where(Notification.user_id == world.operator.id)).all()
    assert notice.kind == "delivery_failed"
    assert notice.text == f"{case.number}: 시민에게 접수 안내 발송 실패 — 플랫폼이 메시지를 거부했습니다"


def test_the_officer_hears_of_a_failed_delivery_of_their_case(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        transports.TRANSPORTS, "x", Failing(TransportError("x: account config lacks 'bearer_token'", permanent=True))
    )
    case = case_in_status(session, world, CaseStatus.assigned)  # its receipt still waits for the worker

    run_once(factory, worker_id="w1")
    run_once(factory, worker_id="w1")

    kinds = {(n.user_id, n.kind) for n in session.scalars(select(Notification).where(Notification.case_id == case.id))}
    assert {(world.officer.id, "delivery_failed"), (world.operator.id, "delivery_failed")} <= kinds


def test_failed_deliveries_lists_newest_first_within_limit(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(transports.TRANSPORTS, "x", Failing(TransportError("gone", permanent=True)))
    cases = [new_case(session, world) for _ in range(3)]

    run_once(factory, worker_id="w1")

    listed = failed_deliveries(session, org_id=world.songpa.id, limit=2)
    assert [i.case_id for i in listed] == [cases[2].id, cases[1].id]
    assert all(isinstance(i, OutboxItem) for i in listed)
