"""Public portal: the list of public cases, a case's tracking page, and the web complaint form.

Only masked text (`Case.public_text`, `Answer.public_body`) and public timeline events ever reach these pages.
"""

from __future__ import annotations

import math
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from sotong.audit.service import case_timeline
from sotong.cases import actions, service
from sotong.cases.models import Case
from sotong.errors import InvalidInput, SotongError
from sotong.orgs.models import Organisation
from sotong.web.auth import verify_csrf
from sotong.web.deps import AppSettings, DbSession
from sotong.web.templating import render
from sotong.web.uploads import read_uploads

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20


def _org_names(orgs: list[Organisation]) -> dict[int, str]:
    return {o.id: o.name for o in orgs}


@router.get("/")
def index(request: Request, db: DbSession, page: int = 1, org: str | None = None) -> Response:
    """Public cases, newest first: masked text, masked answer, status and dates."""
    orgs = service.organisations(db)
    chosen = next((o for o in orgs if o.slug == org), None)
    page = max(1, page)
    items, total = service.list_public_cases(db, org_id=chosen.id if chosen else None, page=page, page_size=PAGE_SIZE)
    return render(
        request,
        "portal/index.html",
        {
            "items": items,
            "total": total,
            "page": page,
            "pages": max(1, math.ceil(total / PAGE_SIZE)),
            "orgs": orgs,
            "org_names": _org_names(orgs),
            "chosen": chosen,
        },
    )


@router.get("/cases/{number}")
def track(number: str, request: Request, db: DbSession) -> Response:
    """The public tracking page of one case, with its public timeline."""
    case = service.get_public_case(db, number=number)
    orgs = service.organisations(db)
    return render(
        request,
        "portal/case.html",
        {
            "case": case,
            "org_names": _org_names(orgs),
            "timeline": case_timeline(db, case_id=case.id, public_only=True),
        },
    )


def _report_form(
    request: Request,
    db: DbSession,
    *,
    values: dict[str, str | None] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    values = dict(values or {})
    # A new id per form shown: submitting this form twice (a double click, a resend) is recognised as one.
    values["submission_id"] = values.get("submission_id") or str(uuid.uuid4())
    return render(
        request,
        "portal/report.html",
        {"orgs": service.organisations(db), "values": values, "error": error},
        status_code=status_code,
    )


@router.get("/report")
def report_form(request: Request, db: DbSession, org: str | None = None) -> Response:
    """The web complaint form."""
    return _report_form(request, db, values={"org": org})


def _coordinate(value: str | None, name: str) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a number") from None


@router.post("/report", dependencies=[Depends(verify_csrf)])
def report_submit(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    org: Annotated[str, Form(max_length=64)] = "",
    text: Annotated[str, Form(max_length=actions.MAX_TEXT_LENGTH)] = "",
    submission_id: Annotated[str, Form(max_length=120)] = "",
    address: Annotated[str | None, Form(max_length=300)] = None,
    latitude: Annotated[str | None, Form(max_length=40)] = None,
    longitude: Annotated[str | None, Form(max_length=40)] = None,
    phone: Annotated[str | None, Form(max_length=40)] = None,
    email: Annotated[str | None, Form(max_length=254)] = None,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Receive the complaint and show the receipt; on a problem, the form again with the reason."""
    values: dict[str, str | None] = {
        "org": org,
        "text": text,
        "submission_id": submission_id,
        "address": address,
        "latitude": latitude,
        "longitude": longitude,
        "phone": phone,
        "email": email,
    }
    try:
        case: Case = actions.submit_web_form(
            db,
            org_slug=org,
            text=text,
            submission_id=submission_id,
            latitude=_coordinate(latitude, "latitude"),
            longitude=_coordinate(longitude, "longitude"),
            address=(address or "").strip() or None,
            phone=(phone or "").strip() or None,
            email=(email or "").strip() or None,
            attachments=read_uploads(photos, settings),
        )
    except SotongError as exc:
        return _report_form(request, db, values=values, error=exc.message, status_code=exc.http_status)
    return render(
        request,
        "portal/receipt.html",
        {"case": case, "tracking_url": f"{settings.base_url}/cases/{case.number}"},
    )
