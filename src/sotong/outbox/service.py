"""Queueing outbound work inside an action's transaction (delivery lives in outbox.worker)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.db import in_atomic, utcnow
from sotong.outbox.models import OutboxItem, OutboxStatus


def enqueue(
    session: Session,
    *,
    org_id: int | None,
    kind: str,
    transport: str,
    idempotency_key: str,
    payload: dict[str, Any],
    case_id: int | None = None,
    recipient: str | None = None,
    not_before: dt.datetime | None = None,
) -> OutboxItem:
    """Queue one delivery; it is sent only if the surrounding transaction commits."""
    assert in_atomic(session), "outbox rows are written by actions, inside their transaction"
    item = OutboxItem(
        org_id=org_id,
        case_id=case_id,
        kind=kind,
        transport=transport,
        recipient=recipient,
        payload=payload,
        idempotency_key=idempotency_key,
        status=OutboxStatus.pending,
        attempts=0,
        next_attempt_at=not_before or utcnow(),
        created_at=utcnow(),
    )
    session.add(item)
    return item


def failed_deliveries(session: Session, *, org_id: int, limit: int = 50) -> list[OutboxItem]:
    """The organisation's deliveries that failed for good, newest first (shown to staff to act on)."""
    query = (
        select(OutboxItem)
        .where(OutboxItem.org_id == org_id, OutboxItem.status == OutboxStatus.failed)
        .order_by(OutboxItem.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
