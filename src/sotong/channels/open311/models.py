"""API keys of applications allowed to POST service requests (only a hash is stored)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sotong.db import Base, BigId, UTCDateTime, utcnow


class Open311ApiKey(Base):
    __tablename__ = "open311_api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))  # the application, e.g. "시민 제보 앱"
    # SHA-256 of the key: a stolen database does not give working keys. Keys are long random strings, so a
    # plain hash (not a slow password hash) is enough and keeps every POST cheap.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12))  # shown in listings so admins can tell keys apart
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
