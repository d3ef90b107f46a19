"""The public complaint form: GET /report shows it, POST /report takes the complaint in and shows the receipt.

On any refusal the form comes back with everything the citizen typed (photos must be chosen again: a
browser never lets a page pre-fill a file input) and the reason in their language.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from sotong.cases import actions, links, service
from sotong.cases.models import Case, CaseStatus
from sotong.channels.webform import juso
from sotong.channels.webform import service as webform
from sotong.channels.webform.errors import FormError, localised
from sotong.channels.webform.photos import Upload, process_photos
from sotong.db import utcnow
from sotong.errors import DuplicateSubmission, NotFound, SotongError
from sotong.i18n import translate
from sotong.web import maps
from sotong.web.csrf import verify_csrf
from sotong.web.deps import AppSettings, DbSession
from sotong.web.templating import render, request_language

router = APIRouter(include_in_schema=False)

# The shipped outlines are Seoul's districts: a pin inside one that matches no district organisation falls back to
# the city's own.
SEOUL = "서울특별시"

FIELDS = (
    "org",
    "category",
    "text",
    "submission_id",
    "address",
    "latitude",
    "longitude",
    "phone",
    "email",
    "visibility",
)


def _report_form(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    *,
    values: dict[str, str | None] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    values = dict(values or {})
    # A new id per form shown: submitting this form twice (a double click, a resend) is recognised as one.
    values["submission_id"] = values.get("submission_id") or str(uuid.uuid4())
    orgs = service.organisations(db)
    values["org"] = webform.starting_org([o.slug for o in orgs], asked=values.get("org"), default=settings.default_org)
    response = render(
        request,
        "portal/report.html",
        {
            "orgs": orgs,
            "categories": webform.categories_by_org(db),
            "values": values,
            "error": error,
            "form_token": webform.form_token(settings),
            "address_search": juso.enabled(settings),
            "tile_url": settings.map_tile_url,
            "tile_attribution": settings.map_tile_attribution,
            "max_photos": settings.max_attachments,
            "max_photo_mb": settings.max_attachment_bytes // (1024 * 1024),
        },
        status_code=status_code,
    )
    csp = maps.tile_csp(settings)  # the tile server's origin, when one is configured, for the map's images
    if csp:
        response.headers["Content-Security-Policy"] = csp
    return response


@router.get("/report")
def report_form(request: Request, db: DbSession, settings: AppSettings, org: str | None = None) -> Response:
    """The web complaint form."""
    return _report_form(request, db, settings, values={"org": org})


@router.get("/report/address")
def address_search(request: Request, db: DbSession, settings: AppSettings, q: str = "") -> Response:
    """Addresses for the form's search box (JSON), from the 도로명주소 API; a Korean reason when it fails."""
    if len(q) > 200:
        q = q[:200]  # the API refuses long keywords itself (E0010), with a reason the citizen reads
    try:
        found = juso.search(settings, q)
    except FormError as exc:
        return JSONResponse({"error": localised(exc, request_language(request))}, status_code=exc.http_status)
    results = [
        {
            "road": a.road,
            "jibun": a.jibun,
            "area": a.area,
            "latitude": a.latitude,
            "longitude": a.longitude,
            "org": webform.org_for_place(db, [a.district, a.city]),
        }
        for a in found
    ]
    return JSONResponse({"results": results}, headers={"Cache-Control": "no-store"})


@router.get("/report/place")
def pinned_place(request: Request, db: DbSession, lat: float = 0.0, lon: float = 0.0) -> Response:
    """The area of a map pin (the district's name) and the organisation of that area, if it is one of ours."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return JSONResponse({"error": translate(request_language(request), "channels.webform.error.coordinates")}, 422)
    district = maps.district_at(lon, lat)
    if district is None:
        return JSONResponse({"place": None, "org": None})
    name = district[1] if request_language(request) == "en" and district[1] else district[0]
    return JSONResponse({"place": name, "org": webform.org_for_place(db, [district[0], SEOUL])})


def _coordinate(value: str | None, low: float, high: float) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        raise FormError("channels.webform.error.coordinates") from None
    if not low <= number <= high:
        raise FormError("channels.webform.error.coordinates")
    return number


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


def _uploads(files: list[UploadFile] | None, limit: int) -> list[Upload]:
    # One byte past the limit is enough to know a file is too large: never read a huge upload into memory.
    return [
        Upload(data=f.file.read(limit + 1), filename=f.filename, declared_type=f.content_type)
        for f in files or []
        if f.filename or (f.size or 0) > 0
    ]


# A plain (not async) handler: decoding photos and the database work run in the thread pool, not on the event loop.
@router.post("/report", dependencies=[Depends(verify_csrf)])
def report_submit(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    org: Annotated[str, Form(max_length=64)] = "",
    category: Annotated[str | None, Form(max_length=64)] = None,
    text: Annotated[str, Form(max_length=actions.MAX_TEXT_LENGTH)] = "",
    submission_id: Annotated[str, Form(max_length=120)] = "",
    address: Annotated[str | None, Form(max_length=300)] = None,
    latitude: Annotated[str | None, Form(max_length=40)] = None,
    longitude: Annotated[str | None, Form(max_length=40)] = None,
    phone: Annotated[str | None, Form(max_length=40)] = None,
    email: Annotated[str | None, Form(max_length=254)] = None,
    visibility: Annotated[str, Form(max_length=20)] = "public",
    website: Annotated[str | None, Form(max_length=300)] = None,  # the honeypot: people never see it
    form_token: Annotated[str | None, Form(max_length=300)] = None,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """Receive the complaint and show the receipt; on a problem, the form again with the reason."""
    values: dict[str, str | None] = {
        "org": org,
        "category": category,
        "text": text,
        "submission_id": submission_id,
        "address": address,
        "latitude": latitude,
        "longitude": longitude,
        "phone": phone,
        "email": email,
        "visibility": visibility,
    }
    client_address = request.client.host if request.client else "unknown"
    try:
        if not text.strip():
            raise FormError("channels.webform.error.empty")
        lat = _coordinate(latitude, -90, 90)
        lon = _coordinate(longitude, -180, 180)
        if (lat is None) != (lon is None):
            raise FormError("channels.webform.error.coordinates")
        if not org and lat is not None and lon is not None:
            # No 기관 chosen (the page's script would have chosen it from the pin): the pin's district decides.
            district = maps.district_at(lon, lat)
            org = webform.org_for_place(db, [district[0], SEOUL] if district else []) or ""
            values["org"] = org
        if not org:
            raise FormError("report.error.org")
        if visibility not in actions.VISIBILITIES:
            raise FormError("privacy.form.error")
        form = webform.Submission(
            org_slug=org,
            text=text.strip(),
            submission_id=submission_id,
            category_hint=webform.category_hint(db, org_slug=org, code=_clean(category)),
            address=_clean(address),
            latitude=lat,
            longitude=lon,
            phone=_clean(phone),
            email=_clean(email),
            visibility=visibility,
        )
        # The cheap refusals first (limit, spam signs): a flood costs no photo decoding.
        webform.precheck(
            db,
            settings=settings,
            form=form,
            client_address=client_address,
            honeypot=website,
            token=form_token,
            now=utcnow(),
        )
        files = _uploads(photos, settings.max_attachment_bytes)
        cleaned = process_photos(files, max_count=settings.max_attachments, max_bytes=settings.max_attachment_bytes)
        if lat is None and cleaned.latitude is not None:
            # No pin and no typed position: the photo's GPS is the best location we have (then it is gone).
            form = dataclasses.replace(form, latitude=cleaned.latitude, longitude=cleaned.longitude)
        case: Case = webform.submit(
            db,
            settings=settings,
            form=form,
            attachments=cleaned.attachments,
            client_address=client_address,
            honeypot=website,
            token=form_token,
        )
    except DuplicateSubmission as exc:
        # The same form again (a double click, a resend after a lost answer): what became of it the first time.
        db.rollback()
        earlier = webform.outcome(db, org_slug=org, submission_id=submission_id)
        if earlier is not None:
            return _outcome_page(request, db, settings, earlier, again=True, status_code=exc.http_status)
        message = localised(exc, request_language(request))
        return _report_form(request, db, settings, values=values, error=message, status_code=exc.http_status)
    except SotongError as exc:
        db.rollback()
        message = localised(exc, request_language(request))
        return _report_form(request, db, settings, values=values, error=message, status_code=exc.http_status)
    # Triage has run (webform.submit): the form may have joined the citizen's open case instead of opening one.
    result = webform.outcome(db, org_slug=org, submission_id=submission_id)
    if result is not None and not result.opened:
        return _outcome_page(request, db, settings, result, again=False)
    return _receipt(request, db, settings, case)


def _outcome_page(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    result: webform.Outcome,
    *,
    again: bool,
    status_code: int = 200,
) -> Response:
    """The receipt of a form that opened no new case: sent again (the first receipt, said so), or added to the
    citizen's open case as a follow-up.

    An added form shows neither that case's number nor its tracking link: the form's phone number or e-mail
    address is not verified, and whoever typed someone else's would otherwise learn of their case (or get the
    link that opens it)."""
    if result.opened:
        lang = request_language(request)
        return _receipt(
            request,
            db,
            settings,
            result.case,
            heading="report.already.title",
            note=translate(lang, "report.already.body"),
            status_code=status_code,
        )
    return render(
        request,
        "portal/added.html",
        {"photos": [{"name": a.filename, "size": _size(a.size)} for a in result.photos], "again": again},
        status_code=status_code,
    )


def _size(size: int) -> str:
    """A file size as people read it: 1.2MB, 340KB."""
    return f"{size / (1024 * 1024):.1f}MB" if size >= 1024 * 1024 else f"{max(1, -(-size // 1024))}KB"


def _receipt(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    case: Case,
    *,
    note: str | None = None,
    heading: str = "receipt.title",
    status_code: int = 200,
) -> Response:
    """The receipt: the tracking link (the one secret), what happens next, the photos that arrived; for chatter
    (hidden at intake, answered as the organisation chose) a thank-you that promises no handling."""
    if case.status == CaseStatus.rejected:
        return render(request, "portal/thanks.html", {"case": case}, status_code=status_code)
    link = links.tracking_url(
        case_number=case.number, citizen_token=case.citizen_token, private=True, base_url=settings.base_url
    )
    return render(
        request,
        "portal/receipt.html",
        {
            "case": case,
            "tracking_url": link,
            "link_token": links.link_token(case_number=case.number, citizen_token=case.citizen_token or ""),
            "photos": [{"name": a.filename, "size": _size(a.size)} for a in service.citizen_photos(db, case.id)],
            "note": note,
            "heading": heading,
            # Triage ran as the form was taken in: the department it chose already has the case.
            "department": service.department_names(db, [case.department_id]).get(case.department_id or 0),
        },
        status_code=status_code,
    )


@router.post("/cases/{number}/send-link", dependencies=[Depends(verify_csrf)])
def send_link(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    number: str,
    t: Annotated[str, Form(max_length=200)] = "",
    to: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    """Text or mail the tracking link to the citizen, once per case, within the web form's per-address limit."""
    case = db.scalar(select(Case).where(Case.number == number))
    if case is None or not links.verify(case_number=case.number, citizen_token=case.citizen_token, presented=t):
        raise NotFound("no such case, or the token does not match")
    lang = request_language(request)
    to = to.strip()
    phone, email = (None, to) if "@" in to else (to or None, None)
    client_address = request.client.host if request.client else "unknown"
    try:
        if not to:
            raise FormError("report.link.error.empty")
        webform.check_contact(phone, email)
        webform.send_link(
            db, settings=settings, case_number=case.number, token=t, phone=phone, email=email, address=client_address
        )
    except DuplicateSubmission:
        db.rollback()
        return _receipt(request, db, settings, case, note=translate(lang, "report.link.already"), status_code=409)
    except SotongError as exc:
        db.rollback()
        message = localised(exc, lang)
        return _receipt(request, db, settings, case, note=message, status_code=exc.http_status)
    return _receipt(
        request, db, settings, case, note=translate(lang, "report.link.sent_sms" if phone else "report.link.sent_email")
    )
