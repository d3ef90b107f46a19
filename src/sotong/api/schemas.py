"""What the JSON API returns, typed (and the citizen's rating it takes); staff actions' inputs are
cases/schemas.py, shared with the console's forms."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sotong.cases.models import CaseStatus, ComplaintType, PeriodUnit, RejectReason
from sotong.orgs.models import Channel


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RatingIn(_In):
    """The citizen's rating of the answer, with the token from their receipt."""

    token: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    score: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str, StringConstraints(max_length=2000)] | None = None


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CaseSummary(_Out):
    number: str
    status: CaseStatus
    status_label: str
    complaint_type: ComplaintType
    category_id: int | None
    department_id: int | None
    officer_id: int | None
    channel: Channel
    title: str
    is_public: bool
    received_at: dt.datetime
    due_at: dt.datetime
    overdue: bool


class AttachmentOut(_Out):
    id: int
    content_type: str
    size: int
    filename: str | None
    url: str


class MessageOut(_Out):
    id: int
    channel: Channel
    author_handle: str | None
    text: str
    received_at: dt.datetime
    attachments: list[AttachmentOut]


class AnswerOut(_Out):
    id: int
    author_id: int | None
    body: str
    public_body: str | None
    created_at: dt.datetime


class Deadlines(_Out):
    received_at: dt.datetime
    clock_started_at: dt.datetime
    period_value: int
    period_unit: PeriodUnit
    first_response_due_at: dt.datetime | None
    answer_target_at: dt.datetime | None
    due_at: dt.datetime
    original_due_at: dt.datetime | None
    extended_at: dt.datetime | None
    extension_reason: str | None


class CaseDetail(CaseSummary):
    body: str
    public_text: str | None
    is_whistleblower: bool
    hold_reason: str | None
    reject_reason: RejectReason | None
    author_handle: str | None
    contact: dict[str, Any]
    address: str | None
    latitude: float | None
    longitude: float | None
    satisfaction: int | None
    deadlines: Deadlines
    messages: list[MessageOut]
    answers: list[AnswerOut]


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int
    page: int
    page_size: int


class CaseCreated(BaseModel):
    number: str
    tracking_url: str
    citizen_token: str = Field(description="Keep it: it lets the citizen rate the answer without an account.")


class ActionResult(BaseModel):
    case: CaseDetail | None = Field(description="None when the action moved the case out of your sight")
    new_case_number: str | None = Field(None, description="transfer_organisation: the case opened there")
    answer_id: int | None = None


class RatingOut(BaseModel):
    number: str
    satisfaction: int


class ErrorOut(BaseModel):
    error: str
    detail: str
