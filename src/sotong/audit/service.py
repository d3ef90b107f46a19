"""Writing audit events; only ever called inside an action's transaction."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.audit.models import AuditEvent
from sotong.db import in_atomic, utcnow


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    org_id: int | None,
    case_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    is_public: bool = False,
) -> AuditEvent:
    """Add one audit event to the current action's transaction."""
    assert in_atomic(session), "audit events are written by actions, inside their transaction"
    event = AuditEvent(
        **event_values(
            actor=actor,
            action=action,
            org_id=org_id,
            case_id=case_id,
            before=before,
            after=after,
            details=details,
            is_public=is_public,
        )
    )
    session.add(event)
    return event


def event_values(
    *,
    actor: Actor,
    action: str,
    org_id: int | None,
    case_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    is_public: bool = False,
) -> dict[str, Any]:
    """The column values of one audit event (shared by `record` and `record_many`)."""
    return {
        "org_id": org_id,
        "case_id": case_id,
        "actor_id": actor.user_id,
        "actor_kind": actor.kind,
        "actor_label": actor.label,
        "action": action,
        "before": _jsonable(before or {}),
        "after": _jsonable(after or {}),
        "details": _jsonable(details or {}),
        "is_public": is_public,
        "at": utcnow(),
    }


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write many audit events (rows from `event_values`) in one executemany (sweeps over thousands of cases)."""
    assert in_atomic(session), "audit events are written by actions, inside their transaction"
    if rows:
        session.execute(insert(cast(Table, AuditEvent.__table__)), rows)


def case_timeline(session: Session, *, case_id: int, public_only: bool = False) -> list[AuditEvent]:
    """The events of one case, oldest first (the public timeline passes public_only)."""
    query = select(AuditEvent).where(AuditEvent.case_id == case_id)
    if public_only:
        query = query.where(AuditEvent.is_public.is_(True))
    return list(session.scalars(query.order_by(AuditEvent.at, AuditEvent.id)))


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Datetimes and enums become strings so the same event stores on SQLite and PostgreSQL."""

    def convert(value: Any) -> Any:
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, dt.datetime | dt.date | dt.time):
            return value.isoformat()
        if isinstance(value, dict):
            return {str(k): convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        return value

    return {str(k): convert(v) for k, v in data.items()}
