"""JSON API v1 for deliveries to citizens: a case's deliveries with their states, what waits for staff across the
organisation (failed, outcome unknown), and the two actions on one of those (send again, settle by hand).

Thin: reads through `cases.service`, acts through `outbox/actions.py`, reached only through a case the staff user
may see (the organisation-wide list is the centre's and the admin's).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from sotong.actors import Role, require_role
from sotong.api.cases import ERRORS
from sotong.cases import service
from sotong.i18n import translate
from sotong.outbox import actions
from sotong.outbox.models import OutboxItem, OutboxStatus, Resolution
from sotong.outbox.service import state_of
from sotong.web.deps import DbSession, DeliveriesReader, DeliveriesWriter

router = APIRouter(tags=["deliveries"])

State = Literal["pending", "retrying", "sending", "sent", "failed", "unknown", "resolved", "cancelled"]


class DeliveryOut(BaseModel):
    """One receipt, answer or notice on its way to the citizen (or one that did not make it)."""

    id: int
    case_number: str | None
    kind: str = Field(description='"receipt", "answer", "transfer_notice", ...')
    channel: str = Field(description="The transport that delivers it (x, kakao, sms, email, web, ...)")
    state: State = Field(description='"retrying": queued again after a temporary failure, see next_attempt_at')
    attempts: int
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    external_ref: str | None = Field(description="The platform's id of what was sent")
    reason_code: str | None = Field(description='Why it failed or is unknown: "config", "network", "interrupted", ...')
    reason: str | None = Field(description="The reason in words, in Korean")
    detail: str | None = Field(description="The technical detail (the platform's own words)")
    resolution: Resolution | None


class DeliveryList(BaseModel):
    items: list[DeliveryOut]


class ResolveIn(BaseModel):
    """How the citizen was reached instead (or that it did arrive after all)."""

    how: Resolution
    note: str = Field(default="", max_length=actions.NOTE_LENGTH)


def to_out(item: OutboxItem, number: str | None) -> DeliveryOut:
    """A delivery as the API shows it."""
    state = state_of(item)
    return DeliveryOut(
        id=item.id,
        case_number=number,
        kind=item.kind,
        channel=item.transport,
        state=state,
        attempts=item.attempts,
        next_attempt_at=item.next_attempt_at if item.status is OutboxStatus.pending else None,
        sent_at=item.sent_at,
        external_ref=item.external_ref,
        reason_code=item.error_code,
        reason=translate("ko", f"delivery.error.{item.error_code}") if item.error_code else None,
        detail=item.last_error,
        resolution=Resolution(item.resolution) if item.resolution else None,
    )


@router.get(
    "/deliveries",
    response_model=DeliveryList,
    responses={401: ERRORS[401], 403: ERRORS[403]},
    summary="Deliveries that wait for staff",
)
def waiting(db: DbSession, actor: DeliveriesReader, limit: int = Query(default=50, ge=1, le=500)) -> DeliveryList:
    """The organisation's deliveries that failed for good or whose outcome is unknown, newest first (the centre's
    and the admin's list)."""
    require_role(actor, Role.admin, Role.operator, what="list the organisation's deliveries")
    items = service.failed_deliveries(db, actor=actor, limit=limit)
    numbers = service.case_numbers(db, {i.case_id for i in items if i.case_id is not None})
    return DeliveryList(items=[to_out(i, numbers.get(i.case_id) if i.case_id else None) for i in items])


@router.get(
    "/cases/{number}/deliveries",
    response_model=DeliveryList,
    responses={401: ERRORS[401], 404: ERRORS[404]},
    summary="What a case sent its citizen",
)
def case_deliveries(number: str, db: DbSession, actor: DeliveriesReader) -> DeliveryList:
    """Every receipt, answer and notice of the case, oldest first, with its state."""
    case = service.get_case_by_number(db, actor=actor, number=number)
    return DeliveryList(items=[to_out(i, case.number) for i in service.case_deliveries(db, case_id=case.id)])


@router.post(
    "/cases/{number}/deliveries/{item_id}/retry",
    response_model=DeliveryOut,
    responses=ERRORS,
    summary="Send a failed or unknown delivery again",
)
def retry(number: str, item_id: int, db: DbSession, actor: DeliveriesWriter) -> DeliveryOut:
    """Queue it again from now, with a fresh set of attempts. Needs the X-CSRF-Token header of a staff session."""
    item = service.case_delivery(db, actor=actor, number=number, item_id=item_id)
    return to_out(actions.retry(db, actor=actor, item_id=item.id), number)


@router.post(
    "/cases/{number}/deliveries/{item_id}/resolve",
    response_model=DeliveryOut,
    responses=ERRORS,
    summary="Mark a failed or unknown delivery as delivered another way",
)
def resolve(number: str, item_id: int, body: ResolveIn, db: DbSession, actor: DeliveriesWriter) -> DeliveryOut:
    """The citizen was told by phone or another way, or it did arrive: it is never sent after this."""
    item = service.case_delivery(db, actor=actor, number=number, item_id=item_id)
    return to_out(actions.resolve(db, actor=actor, item_id=item.id, how=body.how, note=body.note), number)
