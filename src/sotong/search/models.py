"""The search document of a publicly listed case: its masked text and answers as morphemes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from sotong.db import Base, BigId, UTCDateTime, utcnow


class CaseSearchDoc(Base):
    """One row per publicly listed case; a case that stops being public loses its row.

    `terms` is the space-separated morphemes of `Case.public_text` and every `Answer.public_body` (masked text
    only, so personal data can never be searched for). The database indexes it outside this metadata: a GIN
    index over ``to_tsvector('simple', terms)`` on PostgreSQL, an FTS5 table kept by triggers on SQLite (see
    `sotong.search.schema`).
    """

    __tablename__ = "case_search_docs"
    # Search results are newest first: sorting matches by the document's own copy of the time spares a visit to
    # every matching case row, and scanning this index backwards finds a common word's newest matches at once.
    __table_args__ = (Index("ix_case_search_docs_received", "received_at", "case_id"),)

    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    terms: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # the case's, never changes
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
