"""Staff requeue a failed delivery (after fixing the connector): the staff of its organisation who handle cases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from sotong.audit.service import case_timeline
from sotong.errors import IllegalTransition, NotFound, PermissionDenied
from sotong.outbox import transports
from sotong.outbox.actions import retry_failed
from sotong.outbox.delivery import run_once
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.outbox.service import failed_deliveries
from tests.factories import World, new_case
from tests.outbox.helpers import Recording

Factory = Callable[[], Session]


def _failed_receipt(session: Session, world: World, factory: Factory) -> OutboxItem:
    new_case(session, world)
    run_once(factory, worker_id="w1")  # no X connector yet: fails
    run_once(factory, worker_id="w1")  # the officer and the centre hear of it
    session.expire_all()
    [item] = failed_deliveries(session, org_id=world.songpa.id)
    return item


def test_operator_retries_after_the_connector_is_configured(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = _failed_receipt(session, world, factory)

    retried = retry_failed(session, actor=world.actor(world.operator), item_id=item.id)

    assert (retried.status, retried.attempts, retried.claimed_by) == (OutboxStatus.pending, 0, None)
    assert item.case_id is not None
    [event] = [e for e in case_timeline(session, case_id=item.case_id) if e.action == "outbox.retried"]
    assert event.actor_id == world.operator.id
    assert event.before["status"] == "failed"

    x = Recording()
    monkeypatch.setitem(transports.TRANSPORTS, "x", x)
    assert run_once(factory, worker_id="w1") == 1
    session.expire_all()
    assert session.get(OutboxItem, item.id).status is OutboxStatus.sent  # type: ignore[union-attr]
    assert [d.idempotency_key for d in x.sent] == [item.idempotency_key]


@pytest.mark.parametrize("persona", ["admin", "manager", "officer"])
def test_admins_managers_and_officers_may_retry(session: Session, world: World, factory: Factory, persona: str) -> None:
    item = _failed_receipt(session, world, factory)
    actor = world.actor(getattr(world, persona))
    assert retry_failed(session, actor=actor, item_id=item.id).status is OutboxStatus.pending


def test_a_viewer_may_not(session: Session, world: World, factory: Factory) -> None:
    item = _failed_receipt(session, world, factory)
    with pytest.raises(PermissionDenied):
        retry_failed(session, actor=world.actor(world.viewer), item_id=item.id)


def test_another_organisations_item_does_not_exist(session: Session, world: World, factory: Factory) -> None:
    item = _failed_receipt(session, world, factory)
    with pytest.raises(NotFound):
        retry_failed(session, actor=world.actor(world.seoul_operator), item_id=item.id)
    with pytest.raises(NotFound):
        retry_failed(session, actor=world.actor(world.operator), item_id=item.id + 1000)


def test_only_failed_items_are_retried(session: Session, world: World, factory: Factory) -> None:
    item = _failed_receipt(session, world, factory)
    retry_failed(session, actor=world.actor(world.operator), item_id=item.id)
    with pytest.raises(IllegalTransition):
        retry_failed(session, actor=world.actor(world.operator), item_id=item.id)
