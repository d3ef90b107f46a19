"""An item for a channel without a configured connector fails at once with a message staff understand."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from sotong.audit.service import case_timeline
from sotong.outbox.delivery import run_once
from sotong.outbox.models import OutboxStatus
from sotong.outbox.service import failed_deliveries
from sotong.outbox.transports import TRANSPORTS
from tests.factories import World, new_case

Factory = Callable[[], Session]


def test_no_connector_is_a_permanent_failure(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(TRANSPORTS, "x")
    case = new_case(session, world)  # the receipt goes out on X, which has no connector in this deployment

    assert run_once(factory, worker_id="w1") == 1

    session.expire_all()
    [item] = failed_deliveries(session, org_id=world.songpa.id)
    assert (item.case_id, item.status, item.attempts) == (case.id, OutboxStatus.failed, 1)
    assert item.last_error == "no connector for channel 'x' is configured"
    assert "outbox.failed" in [e.action for e in case_timeline(session, case_id=case.id)]
