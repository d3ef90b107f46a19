"""Queueing outbound work inside an action's transaction (delivery lives in outbox.worker)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from sotong.db import in_atomic, utcnow
from sotong.outbox.models import NEEDS_ATTENTION, OutboxItem, OutboxStatus


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
        **item_values(
            org_id=org_id,
            kind=kind,
            transport=transport,
            idempotency_key=idempotency_key,
            payload=payload,
            case_id=case_id,
            recipient=recipient,
            not_before=not_before,
        )
    )
    session.add(item)
    return item


def item_values(
    *,
    org_id: int | None,
    kind: str,
    transport: str,
    idempotency_key: str,
    payload: dict[str, Any],
    case_id: int | None = None,
    recipient: str | None = None,
    not_before: dt.datetime | None = None,
) -> dict[str, Any]:
    """The column values of one queued delivery (shared by `enqueue` and `enqueue_many`)."""
    now = utcnow()
    return {
        "org_id": org_id,
        "case_id": case_id,
        "kind": kind,
        "transport": transport,
        "recipient": recipient,
        "payload": payload,
        "idempotency_key": idempotency_key,
        "status": OutboxStatus.pending,
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }


def enqueue_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Queue many deliveries (rows from `item_values`) in one executemany, for sweeps over thousands of cases.

    A plain Core INSERT: no ORM objects and no RETURNING, so the driver pipelines one short prepared
    statement instead of parsing a statement with thousands of placeholders per batch.
    """
    assert in_atomic(session), "outbox rows are written by actions, inside their transaction"
    if rows:
        session.execute(insert(cast(Table, OutboxItem.__table__)), rows)


def failed_deliveries(session: Session, *, org_id: int | None, limit: int = 50) -> list[OutboxItem]:
    """The organisation's (None: every organisation's) deliveries that wait for a person, failed for good or of
    unknown outcome, newest first."""
    query = select(OutboxItem).where(OutboxItem.status.in_(NEEDS_ATTENTION))
    if org_id is not None:
        query = query.where(OutboxItem.org_id == org_id)
    return list(session.scalars(query.order_by(OutboxItem.id.desc()).limit(limit)))


def case_deliveries(session: Session, *, case_id: int) -> list[OutboxItem]:
    """What a case sent (or is sending) its citizen, oldest first; staff notifications are left out."""
    query = select(OutboxItem).where(OutboxItem.case_id == case_id, OutboxItem.kind != "notify")
    return list(session.scalars(query.order_by(OutboxItem.id)))


def state_of(item: OutboxItem) -> str:
    """The state staff read (a key under "delivery.status."): a queued item that already failed once is
    "retrying", with its next attempt and the reason."""
    if item.status is OutboxStatus.pending and item.attempts > 0 and item.last_error:
        return "retrying"
    return item.status.value
