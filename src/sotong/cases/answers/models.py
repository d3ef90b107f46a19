"""The standard-answer template (표준답안) of an organisation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sotong.db import Base, BigId, JsonDoc, UTCDateTime, utcnow


class AnswerTemplate(Base):
    """A reusable answer with placeholders ({case_number} ...) and required slots ([[조치 내용]] ...).

    `required_elements` lists the slot labels the officer must fill before the answer can be sent; each one
    appears in `body` as ``[[label]]`` (checked when the template is saved).
    """

    __tablename__ = "answer_templates"
    __table_args__ = (
        UniqueConstraint("org_id", "title", name="uq_answer_templates_org_title"),
        # The case page lists the active templates of one organisation, its category's first.
        Index("ix_answer_templates_org_active", "org_id", "is_active"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    required_elements: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
