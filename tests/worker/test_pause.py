"""A paused installation (a restored copy) neither delivers nor polls until resumed; the worker beats."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong import worker
from sotong.actors import CLI
from sotong.audit.models import AuditEvent
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.runtime import actions as runtime_actions
from sotong.runtime.models import WorkerHeartbeat
from sotong.settings import reset_settings_cache
from tests.factories import World
from tests.outbox.helpers import Recording, queue
from tests.worker.helpers import wait_for, worker_thread

Factory = Callable[[], Session]


def test_a_paused_pass_neither_delivers_nor_polls(
    session: Session, world: World, factory: Factory, recording: Recording, monkeypatch: pytest.MonkeyPatch
) -> None:
    polls: list[int] = []
    monkeypatch.setattr(worker, "_poll_channels", lambda _factory: polls.append(1) or 0)
    queue(session, org_id=world.songpa.id)
    runtime_actions.pause(session, actor=CLI, reason="restored from a backup")
    done = worker.run_pass(factory, worker_id="w")
    assert done.delivered == 0 and recording.sent == [] and polls == []
    runtime_actions.resume(session, actor=CLI)
    done = worker.run_pass(factory, worker_id="w")
    assert done.delivered == 1 and len(recording.sent) == 1 and polls == [1]
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["service.paused", "service.resumed"]


def test_the_loop_beats_and_its_delivery_threads_respect_the_pause(
    session: Session, world: World, factory: Factory, recording: Recording, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOTONG_WORKER_POLL_SECONDS", "0.02")
    reset_settings_cache()
    runtime_actions.pause(session, actor=CLI, reason="restored")
    queue(session, org_id=world.songpa.id)
    with worker_thread(factory, worker_id="beating") as _thread:
        assert wait_for(lambda: _heartbeat(factory) is not None, 20)
        assert recording.sent == []
        runtime_actions.resume(session, actor=CLI)
        assert wait_for(lambda: len(recording.sent) == 1, 20)
    session.expire_all()
    assert session.scalar(select(func.count()).where(OutboxItem.status == OutboxStatus.sent)) == 1
    beat = _heartbeat(factory)
    assert beat is not None and beat.version


def _heartbeat(factory: Factory) -> WorkerHeartbeat | None:
    with factory() as s:
        return s.get(WorkerHeartbeat, "beating")
