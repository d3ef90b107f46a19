"""The internal note table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from sotong.db import Base, BigId, JsonDoc, UTCDateTime, utcnow


class Note(Base):
    """A staff note on a case. Never listed publicly: the portal and the API's public views do not read it."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    # The user ids the note mentioned and notified (kept so the page can show who was told).
    mentions: Mapped[list[Any]] = mapped_column(JsonDoc, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
