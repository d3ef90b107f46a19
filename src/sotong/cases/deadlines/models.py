"""Tables of the deadline set-up: deadline policies (SLA) and the organisation's own closure days.

Business hours and the time zone stay columns of the organisation (orgs/models.py); they are changed by
the actions beside these (cases/deadlines/actions.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sotong.cases.models import PeriodUnit
from sotong.db import Base, BigId, UTCDateTime, str_enum, utcnow
from sotong.orgs.models import Channel


class SlaPolicy(Base):
    """A deadline rule: the first enabled policy (by priority) whose every set condition matches wins.

    Targets left empty fall back to the statutory default of the complaint type.
    """

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Conditions (NULL = any).
    channel: Mapped[Channel | None] = mapped_column(str_enum(Channel, 16))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    complaint_type: Mapped[str | None] = mapped_column(String(16))
    # Targets.
    resolution_value: Mapped[int | None] = mapped_column(Integer)
    resolution_unit: Mapped[PeriodUnit | None] = mapped_column(str_enum(PeriodUnit, 8))
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)  # receipt, in working minutes
    answer_target_minutes: Mapped[int | None] = mapped_column(Integer)  # Daejeon: answer within N minutes
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClosureDay(Base):
    """A day the organisation is closed beyond the national calendar (e.g. its foundation day)."""

    __tablename__ = "closure_days"
    __table_args__ = (UniqueConstraint("org_id", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
