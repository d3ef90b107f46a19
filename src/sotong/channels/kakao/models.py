"""How each skill request was answered: in the skill response itself, or later through its callback URL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sotong.db import Base, BigId, UTCDateTime, utcnow


class KakaoSkillTurn(Base):
    """One complaint taken in by the skill server and where its receipt went.

    Written in the same transaction as the message, so the worker that picks up the receipt always knows
    whether the citizen already has it (``inline``) or it must go to the callback URL (``callback``).
    """

    __tablename__ = "kakao_skill_turns"
    __table_args__ = (UniqueConstraint("account_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("channel_accounts.id"))
    external_id: Mapped[str] = mapped_column(String(200), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    # Kakao's one-shot URL, valid for one minute after the request.
    callback_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
