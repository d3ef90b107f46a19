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
    # The send may have reached the platform (a worker died, or the connection dropped, after the request left)
    # and the platform cannot be asked: never re-sent by itself, shown on the case for a person to settle.
    unknown = "unknown"
    resolved = "resolved"  # a person settled a failed or unknown item (delivered by phone, seen to have arrived)


# Where staff have something to do: shown on the case page and the home page, listed by the CLI and the API.
NEEDS_ATTENTION = (OutboxStatus.failed, OutboxStatus.unknown)


class Resolution(StrEnum):
    """How a person settled a delivery that failed or whose outcome is unknown."""

    phone = "phone"  # the officer told the citizen by phone
    other = "other"  # by letter, at the counter, another channel
    arrived = "arrived"  # checked on the platform: it did arrive


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
        # What waits for staff (failed, outcome unknown), per organisation, newest first.
        Index(
            "ix_outbox_org_attention",
            "org_id",
            "id",
            postgresql_where=text("status IN ('failed', 'unknown')"),
            sqlite_where=text("status IN ('failed', 'unknown')"),
        ),
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
    # Committed right before a platform without an idempotency key is called: a worker that finds it set on a
    # reclaimed item knows the send may have happened, and asks the platform or leaves it to a person.
    send_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # What went wrong, as a catalogue key under "delivery.error." (last_error keeps the platform's own words).
    error_code: Mapped[str | None] = mapped_column(String(40))
    resolution: Mapped[str | None] = mapped_column(String(16))  # a `Resolution`, once a person settled it
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
