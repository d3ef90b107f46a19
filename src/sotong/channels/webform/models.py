"""What the web form remembers about recent submissions, to limit each address and spot repeated text.

Kept in the database, not in process memory, so every web worker behind the proxy counts the same.
The address is stored as a keyed hash: enough to count, not enough to tell who the citizen is.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sotong.db import Base, BigId, UTCDateTime, utcnow


class WebformSubmission(Base):
    """One accepted or spam-refused submission of the public form."""

    __tablename__ = "webform_submissions"
    __table_args__ = (
        Index("ix_webform_submissions_address_at", "address_hash", "at"),
        Index("ix_webform_submissions_text_at", "text_hash", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64))
    text_hash: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # accepted | spam | link (a receipt's link sent on request)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
