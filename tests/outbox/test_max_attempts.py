"""An item that keeps failing temporarily fails for good after `outbox_max_attempts`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.db import utcnow
from sotong.outbox import transports
from sotong.outbox.delivery import run_once
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.settings import reset_settings_cache
from tests.factories import World
from tests.outbox.helpers import Failing, queue, temporary

Factory = Callable[[], Session]


def test_gives_up_after_max_attempts(
    session: Session, world: World, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOTONG_OUTBOX_MAX_ATTEMPTS", "3")
    reset_settings_cache()
    failing = Failing(temporary("502 Bad Gateway"))
    monkeypatch.setitem(transports.TRANSPORTS, failing.name, failing)
    item_id = queue(session, org_id=world.songpa.id, transport="failing").id

    now = utcnow()
    statuses = []
    for _ in range(5):
        run_once(factory, worker_id="w1", now=now)
        session.expire_all()
        item = session.get(OutboxItem, item_id)
        assert item is not None
        statuses.append(item.status)
        now = max(now, item.next_attempt_at)

    assert statuses == [OutboxStatus.pending, OutboxStatus.pending] + [OutboxStatus.failed] * 3
    assert failing.calls == 3
    assert (item.attempts, item.last_error) == (3, "502 Bad Gateway")
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "outbox.failed"))
    assert event is not None
    assert event.details["attempts"] == 3
    assert event.details["permanent"] is False
