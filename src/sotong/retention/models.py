"""Tables of the retention domain: each organisation's periods (a row only once an admin changed a default),
and the log of purge runs (one per hour at most, whichever worker claims it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sotong.db import Base, BigId, JsonDoc, UTCDateTime, utcnow


class RetentionPolicy(Base):
    """An organisation's retention periods, in days; no row: the defaults of retention/policy.py."""

    __tablename__ = "retention_policies"

    org_id: Mapped[int] = mapped_column(BigId, ForeignKey("organisations.id"), primary_key=True)
    login_attempt_days: Mapped[int] = mapped_column(Integer)
    webform_submission_days: Mapped[int] = mapped_column(Integer)
    inbound_event_days: Mapped[int] = mapped_column(Integer)
    closed_case_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RetentionRun(Base):
    """One purge run: when, by whom, and how many rows of each kind it removed or anonymised (never what)."""

    __tablename__ = "retention_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The hour the scheduled run belongs to ("2026-12-07T19"): unique, so of any number of workers one runs it.
    # A run from the command line has none.
    slot: Mapped[str | None] = mapped_column(String(20), unique=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    counts: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
