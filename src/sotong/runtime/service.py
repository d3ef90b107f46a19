"""Reading the running installation's state: paused or not, the workers' heartbeats."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.runtime.models import ServiceState, WorkerHeartbeat


def paused(session: Session) -> str | None:
    """Why deliveries and polling are paused, or None when they run."""
    state = session.get(ServiceState, 1)
    if state is None or not state.paused:
        return None
    return state.reason or "paused"


def newest_heartbeat(session: Session) -> dt.datetime | None:
    """When a worker last reported, if ever."""
    return session.scalar(select(func.max(WorkerHeartbeat.seen_at)))


def heartbeats(session: Session) -> list[WorkerHeartbeat]:
    """Every worker that reported within the last day."""
    return list(session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.worker_id)))
