"""A person settles a delivery that failed or whose outcome is unknown: told the citizen by phone (or another way),
or checked that it arrived. It is never sent after that; sending an unknown one again is also a person's choice."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from sotong.audit.service import case_timeline
from sotong.db import atomic
from sotong.errors import IllegalTransition, InvalidInput, PermissionDenied
from sotong.outbox.actions import resolve, retry
from sotong.outbox.delivery import run_once
from sotong.outbox.models import OutboxItem, OutboxStatus
from tests.factories import World, new_case
from tests.outbox.helpers import Recording

Factory = Callable[[], Session]


def _unknown_receipt(session: Session, world: World) -> OutboxItem:
    case = new_case(session, world)
    with atomic(session):
        item = session.query(OutboxItem).filter_by(case_id=case.id, kind="receipt").one()
        item.status, item.error_code, item.send_started_at = OutboxStatus.unknown, "interrupted", case.received_at
    return item


def test_resolved_by_phone_is_audited_and_never_sent(
    session: Session, world: World, factory: Factory, recording: Recording
) -> None:
    item = _unknown_receipt(session, world)

    settled = resolve(session, actor=world.actor(world.officer), item_id=item.id, how="phone", note="010 통화함")

    assert (settled.status, settled.resolution) == (OutboxStatus.resolved, "phone")
    assert item.case_id is not None
    [event] = [e for e in case_timeline(session, case_id=item.case_id) if e.action == "outbox.resolved"]
    assert (event.actor_id, event.details["resolution"], event.details["reason"]) == (
        world.officer.id,
        "phone",
        "010 통화함",
    )
    assert run_once(factory, worker_id="w1") == 0
    with pytest.raises(IllegalTransition):
        resolve(session, actor=world.actor(world.officer), item_id=item.id, how="other")


def test_an_unknown_delivery_sent_again_by_a_person(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = _unknown_receipt(session, world)
    retried = retry(session, actor=world.actor(world.operator), item_id=item.id)
    assert (retried.status, retried.send_started_at, retried.attempts) == (OutboxStatus.pending, None, 0)


def test_a_viewer_may_not_settle_and_nonsense_is_refused(session: Session, world: World) -> None:
    item = _unknown_receipt(session, world)
    with pytest.raises(PermissionDenied):
        resolve(session, actor=world.actor(world.viewer), item_id=item.id, how="phone")
    with pytest.raises(InvalidInput):
        resolve(session, actor=world.actor(world.operator), item_id=item.id, how="carrier pigeon")
    with pytest.raises(InvalidInput):
        resolve(session, actor=world.actor(world.operator), item_id=item.id, how="phone", note="가" * 501)
