"""A person's answer or notice, delivered, is the case's first response; the automatic receipt and staff
notifications are not (counting the receipt made every "첫 응답까지" 0.0 hours)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from sotong.audit.service import case_timeline
from sotong.cases.models import Case
from sotong.db import utcnow
from sotong.outbox import transports
from sotong.outbox.delivery import run_once
from tests.factories import World, new_case
from tests.outbox.helpers import Recording, queue

Factory = Callable[[], Session]


def test_the_delivered_receipt_is_not_the_first_response(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = Recording()
    monkeypatch.setitem(transports.TRANSPORTS, "x", x)
    case = new_case(session, world)

    run_once(factory, worker_id="w1", now=utcnow())

    session.expire_all()
    assert [d.kind for d in x.sent] == ["receipt"]
    assert session.get(Case, case.id).first_responded_at is None  # type: ignore[union-attr]
    assert "case.first_response" not in [e.action for e in case_timeline(session, case_id=case.id)]


@pytest.mark.parametrize("kind", ["answer", "hold_notice", "transfer_notice", "extension_notice"])
def test_a_persons_message_delivered_is_the_first_response(
    session: Session, world: World, factory: Factory, recording: Recording, kind: str
) -> None:
    case = new_case(session, world)  # its X receipt fails: no credentials
    queue(session, org_id=world.songpa.id, case_id=case.id, kind=kind)
    now = utcnow()

    run_once(factory, worker_id="w1", now=now)

    session.expire_all()
    assert session.get(Case, case.id).first_responded_at == now  # type: ignore[union-attr]
    assert "case.first_response" in [e.action for e in case_timeline(session, case_id=case.id, public_only=True)]


def test_failed_receipt_is_not_a_response(session: Session, world: World, factory: Factory) -> None:
    case = new_case(session, world)  # no X connector: the receipt fails
    run_once(factory, worker_id="w1")
    session.expire_all()
    assert session.get(Case, case.id).first_responded_at is None  # type: ignore[union-attr]


def test_staff_notifications_are_not_a_response(
    session: Session, world: World, factory: Factory, recording: Recording
) -> None:
    case = new_case(session, world)
    queue(session, org_id=world.songpa.id, case_id=case.id, kind="notify")

    run_once(factory, worker_id="w1")

    session.expire_all()
    assert session.get(Case, case.id).first_responded_at is None  # type: ignore[union-attr]
    assert [d.kind for d in recording.sent] == ["notify"]
