"""Changes to the running installation: a worker's heartbeat, pausing and resuming deliveries and polling."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.audit import service as audit
from sotong.db import atomic, utcnow
from sotong.runtime.models import ServiceState, WorkerHeartbeat

# A worker silent for this long is gone (stopped, moved, renamed): its row leaves /metrics.
FORGET_AFTER = dt.timedelta(days=1)


def beat(
    session: Session,
    *,
    worker_id: str,
    version: str,
    started_at: dt.datetime,
    last_pass_seconds: float | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Record that `worker_id` is alive (telemetry, not a change anyone audits)."""
    now = now or utcnow()
    with atomic(session):
        row = session.get(WorkerHeartbeat, worker_id, with_for_update=True)
        if row is None:
            row = WorkerHeartbeat(worker_id=worker_id, started_at=started_at)
            session.add(row)
        row.version = version
        row.seen_at = now
        row.last_pass_seconds = last_pass_seconds
        session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < now - FORGET_AFTER))


def pause(session: Session, *, actor: Actor, reason: str) -> ServiceState:
    """Stop every worker's deliveries and channel polling (intake, triage and escalations carry on)."""
    return _switch(session, actor=actor, paused=True, reason=reason)


def resume(session: Session, *, actor: Actor) -> ServiceState:
    """Let the workers deliver and poll again."""
    return _switch(session, actor=actor, paused=False, reason=None)


def _switch(session: Session, *, actor: Actor, paused: bool, reason: str | None) -> ServiceState:
    with atomic(session):
        state = session.scalar(select(ServiceState).where(ServiceState.id == 1).with_for_update())
        if state is None:
            state = ServiceState(id=1, paused=False)
            session.add(state)
        before = {"paused": bool(state.paused), "reason": state.reason}
        state.paused = paused
        state.reason = reason
        state.changed_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="service.paused" if paused else "service.resumed",
            org_id=None,
            before=before,
            after={"paused": paused, "reason": reason},
        )
    return state
