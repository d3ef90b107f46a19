"""The public complaint form: GET /report shows it, POST /report takes the complaint in and shows the receipt."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from sotong.cases import actions, service
from sotong.cases.models import Case
from sotong.errors import InvalidInput, SotongError
from sotong.web.auth import verify_csrf
from sotong.web.deps import AppSettings, DbSession
from sotong.web.templating import render
from sotong.web.uploads import read_uploads

router = APIRouter(include_in_schema=False)


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
