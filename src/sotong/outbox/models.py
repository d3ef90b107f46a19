"""The outbox table: written in the transaction of the change that causes it, delivered by workers."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sotong.db import Base, BigId, JsonDoc, UTCDateTime, str_enum, utcnow


class OutboxStatus(StrEnum):
    pending = "pending"  # waiting for its next attempt
    sending = "sending"  # claimed by a worker until lease_expires_at
    sent = "sent"
    failed = "failed"  # permanent failure or attempts exhausted: shown to staff
    cancelled = "cancelled"  # withdrawn before delivery (a receipt for a case hidden as spam)


class OutboxItem(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        # Workers read only rows that can still be delivered.
        Index(
            "ix_outbox_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'sending')"),
            sqlite_where=text("status IN ('pending', 'sending')"),
        ),
        Index("ix_outbox_org_status", "org_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # What it is ("receipt", "answer", "notify", ...) and which transport delivers it ("x", "inapp", ...).
    kind: Mapped[str] = mapped_column(String(32))
    transport: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str | None] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    # Unique: the same logical send can never be queued twice; also handed to platforms that dedupe.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus, 16), default=OutboxStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    external_ref: Mapped[str | None] = mapped_column(String(200))  # the platform's id of what was sent
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
