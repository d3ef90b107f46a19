"""On PostgreSQL the worker delivers in a thread of its own: a receipt never waits behind triage or polling,
and it skips a case triage holds (the receipt leaves once triage has decided) instead of waiting on its lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Case
from sotong.outbox import worker
from sotong.outbox.worker import run_forever, run_once
from tests.factories import World, new_case
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


def test_a_receipt_waits_while_triage_holds_its_case(
    session: Session, world: World, factory: Factory, recording: Recording
) -> None:
    case = new_case(session, world)
    queue(session, org_id=world.songpa.id, case_id=case.id, kind="receipt")
    postgresql = session.get_bind().dialect.name == "postgresql"
    with factory() as triage:
        if postgresql:
            # What triage_pending does for its batch, for as long as the model decides.
            triage.execute(select(Case.id).where(Case.id == case.id).with_for_update())
        run_once(factory, worker_id="w", batch=10)
        delivered_while_held = len(recording.sent)
        triage.rollback()
    # PostgreSQL: left pending (not delivered, not claimed) until triage lets the case go; SQLite has no row locks.
    assert delivered_while_held == (0 if postgresql else 1)
    run_once(factory, worker_id="w", batch=10)
    assert len(recording.sent) == 1
