"""On PostgreSQL the worker delivers in a thread of its own: a receipt never waits behind triage or polling."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from sotong.outbox import worker
from sotong.outbox.worker import run_forever
from tests.factories import World
from tests.outbox.helpers import Recording, queue

Factory = Callable[[], Session]


def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_a_receipt_is_delivered_while_triage_is_busy(
    session: Session, world: World, factory: Factory, recording: Recording, monkeypatch: pytest.MonkeyPatch
) -> None:
    triaging, release = threading.Event(), threading.Event()

    def slow_triage(_factory: Factory) -> int:
        triaging.set()
        release.wait(30)  # a model pass over a big batch, or a platform answering slowly
        return 0

    monkeypatch.setattr(worker, "_triage", slow_triage)
    monkeypatch.setattr(worker, "warm_models", lambda: None)
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(factory,), kwargs={"worker_id": "busy", "stop": stop})
    thread.start()
    try:
        assert triaging.wait(20)
        queue(session, org_id=world.songpa.id)
        if session.get_bind().dialect.name == "postgresql":
            assert _wait_for(lambda: len(recording.sent) == 1, 10)
        else:
            # SQLite (one embedded worker) keeps a single loop: the delivery waits for the pass to come round.
            assert not _wait_for(lambda: len(recording.sent) == 1, 0.5)
        release.set()
        assert _wait_for(lambda: len(recording.sent) == 1, 10)
    finally:
        release.set()
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(recording.sent) == 1  # delivered once, though two loops look at the outbox
