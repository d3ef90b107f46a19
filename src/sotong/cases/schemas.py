"""What staff send to each action on a case, typed: the console's forms and the JSON API validate with these
(cases/commands.py). What the API returns is api/schemas.py."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sotong.cases.models import ComplaintType, PeriodUnit, RejectReason

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------------------------- requests


class TriageIn(_In):
    """분류: confirm or correct what the case is; the deadline follows the type."""

    complaint_type: ComplaintType
    category_id: int | None = None
    department_id: int | None = None
    is_public: bool | None = None
    is_whistleblower: bool | None = None
    public_text: Annotated[str, StringConstraints(max_length=20_000)] | None = None


class AssignIn(_In):
    """배정: give the case to an officer of its department."""

    officer_id: int


class HoldIn(_In):
    """보류, with the reason the citizen will see and the day work is expected to resume."""

    reason: Reason
    until: dt.date | None = None


class TransferDepartmentIn(_In):
    """이송 to another department of the same organisation (same clock)."""

    department_id: int
    reason: Reason


class TransferOrganisationIn(_In):
    """이송 to the competent organisation, named by its slug (a new case there, clock restarted)."""

    organisation: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    reason: Reason


class AnswerIn(_In):
    """The answer sent to the citizen; `public_body` is what the portal shows (masked either way)."""

    body: LongText
    public_body: Annotated[str, StringConstraints(max_length=20_000)] | None = None


class ReopenIn(_In):
    """재문의: reopen an answered or closed case."""

    reason: Reason


class RejectIn(_In):
    """숨김: spam, abuse, advertising (kept, never deleted)."""

    reason: RejectReason
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class MergeIn(_In):
    """병합: this case repeats another; its messages join that case and it is hidden as a duplicate."""

    into: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class ExtendIn(_In):
    """The one extension a case may have (at most its original length)."""

    value: Annotated[int, Field(gt=0, le=365)]
    unit: PeriodUnit
    reason: Reason
