"""Tables of the running installation (not of any organisation)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sotong.db import Base, BigId, UTCDateTime, utcnow


class WorkerHeartbeat(Base):
    """Each worker process's latest sign of life: /readyz and /metrics read it."""

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How long the worker's last pass took: a pass stuck for minutes shows here before the heartbeat stops.
    last_pass_seconds: Mapped[float | None] = mapped_column(Float)


class ServiceState(Base):
    """One row (id 1): whether deliveries and channel polling are paused, as on a copy restored from a backup
    until an administrator resumes it (it would otherwise re-send pending replies and read the live mailboxes)."""

    __tablename__ = "service_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SchemaRelease(Base):
    """Which Sotong release migrated the database to which revision (`schema.upgrade` writes it). Code older
    than the database reads the newest row to say which release to install."""

    __tablename__ = "schema_releases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[str] = mapped_column(String(40))
    revision: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
