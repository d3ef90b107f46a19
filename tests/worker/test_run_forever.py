"""The worker loop delivers what is queued while it runs, and stops when told."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.settings import reset_settings_cache
from tests.factories import World
from tests.outbox.helpers import Recording, queue
from tests.worker.helpers import wait_for, worker_thread

Factory = Callable[[], Session]


def test_loop_delivers_then_stops(
    session: Session, world: World, factory: Factory, recording: Recording, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOTONG_WORKER_POLL_SECONDS", "0.02")
    reset_settings_cache()
    with worker_thread(factory) as thread:
        for _ in range(5):
            queue(session, org_id=world.songpa.id)
        wait_for(lambda: len(recording.sent) >= 5, 20)

    assert not thread.is_alive()
    assert len(recording.sent) == 5
    session.expire_all()
    sent = session.scalar(select(func.count()).where(OutboxItem.status == OutboxStatus.sent))
    assert sent == 5
