"""On PostgreSQL the worker delivers in a thread of its own: a receipt never waits behind triage or polling,
and a case triage holds does not make it wait: its first response is recorded on a later look."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sotong import worker
from sotong.audit.models import AuditEvent
from sotong.cases.models import Case
from sotong.outbox.delivery import run_once
from sotong.outbox.models import OutboxItem, OutboxStatus
from tests.factories import World, new_case
from tests.outbox.helpers import Recording, queue
from tests.worker.helpers import wait_for, worker_thread

Factory = Callable[[], Session]


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
    with worker_thread(factory, "busy") as thread:
        try:
            assert triaging.wait(20)
            queue(session, org_id=world.songpa.id)
            if session.get_bind().dialect.name == "postgresql":
                assert wait_for(lambda: len(recording.sent) == 1, 10)
            else:
                # SQLite (one embedded worker) keeps a single loop: the delivery waits for the pass to come round.
                assert not wait_for(lambda: len(recording.sent) == 1, 0.5)
            release.set()
            assert wait_for(lambda: len(recording.sent) == 1, 10)
        finally:
            release.set()  # before the loop is told to stop: its triage pass is waiting on it
    assert not thread.is_alive()
    assert len(recording.sent) == 1  # delivered once, though two loops look at the outbox


def test_an_answer_leaves_while_triage_holds_its_case_and_its_first_response_is_recorded_after(
    session: Session, world: World, factory: Factory, recording: Recording
) -> None:
    case = new_case(session, world)
    # Only the recording transport's item: the case's own X receipt would fail (no credentials) and its failure
    # event would wait on the lock this test holds.
    session.execute(update(OutboxItem).where(OutboxItem.case_id == case.id).values(status=OutboxStatus.cancelled))
    session.commit()
    queue(session, org_id=world.songpa.id, case_id=case.id, kind="answer")
    postgresql = session.get_bind().dialect.name == "postgresql"
    with factory() as triage:
        if postgresql:
            # What triage_pending does for its batch, for as long as the model decides.
            triage.execute(select(Case.id).where(Case.id == case.id).with_for_update())
        run_once(factory, worker_id="w", batch=10)  # would wait on the lock if it recorded the response now
        assert len(recording.sent) == 1
        recorded_while_held = _first_responded_at(session, case.id)
        triage.rollback()
    assert (recorded_while_held is None) is postgresql  # SQLite has no row locks: recorded at once
    run_once(factory, worker_id="w", batch=10)  # the next look records it, with the delivery's time
    assert _first_responded_at(session, case.id) is not None
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "case.first_response")
    ).all()
    assert len(events) == 1 and len(recording.sent) == 1


def _first_responded_at(session: Session, case_id: int) -> dt.datetime | None:
    session.expire_all()
    return session.scalar(select(Case.first_responded_at).where(Case.id == case_id))
