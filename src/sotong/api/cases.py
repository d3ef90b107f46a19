"""JSON API v1 for cases: list and read (staff), submit (anyone, the web-form payload), act (staff), rate (citizen).

Thin: every route reads through `cases.service` or runs one action through `cases.commands`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
from typing import Annotated, Any, Literal, get_args
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime

from sotong.actors import Actor
from sotong.api.schemas import (
    ActionResult,
    AnswerOut,
    AttachmentOut,
    CaseCreated,
    CaseDetail,
    CasePage,
    CaseSummary,
    Deadlines,
    ErrorOut,
    MessageOut,
    RatingIn,
    RatingOut,
)
from sotong.cases import actions, service
from sotong.cases.commands import COMMANDS, Command, Outcome
from sotong.cases.models import Case, CaseStatus, ComplaintType
from sotong.cases.status import status_label
from sotong.channels.webform import service as webform
from sotong.channels.webform.errors import FormError
from sotong.channels.webform.photos import Upload, process_photos
from sotong.db import utcnow
from sotong.errors import AttachmentRejected, NotFound
from sotong.orgs.models import Channel
from sotong.web.deps import AppSettings, CasesReader, CasesWriter, DbSession
from sotong.web.params import MAX_ID, MAX_PAGE
from sotong.web.uploads import read_uploads

router = APIRouter(tags=["cases"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not logged in, or the API token is unknown, revoked or expired"},
    403: {
        "model": ErrorOut,
        "description": "Your role may not do this, the CSRF token is missing, or the API token lacks the scope",
    },
    404: {"model": ErrorOut, "description": "No such case in your organisation (or department)"},
    409: {"model": ErrorOut, "description": "Not allowed from the case's current status"},
    422: {"model": ErrorOut, "description": "Invalid input"},
}


# The web form's three choices (cases.actions.VISIBILITIES); anything else is a 422 naming the field.
Visibility = Literal["public", "private", "whistleblower"]
assert set(get_args(Visibility)) == set(actions.VISIBILITIES)  # one list of choices, two spellings kept equal


def media_url(attachment_id: int) -> str:
    """Where staff fetch an attachment."""
    return f"/staff/media/{attachment_id}"


def to_summary(case: Case, now: dt.datetime) -> CaseSummary:
    """A case as a list row."""
    return CaseSummary(
        number=case.number,
        status=case.status,
        status_label=status_label(case.status, "ko"),
        complaint_type=case.complaint_type,
        category_id=case.category_id,
        department_id=case.department_id,
        officer_id=case.officer_id,
        channel=case.channel,
        title=case.title,
        is_public=case.is_public,
        received_at=case.received_at,
        due_at=case.due_at,
        overdue=service.is_overdue(case, now),
    )


def to_detail(case: Case, now: dt.datetime) -> CaseDetail:
    """A case with everything staff may read."""
    return CaseDetail(
        **to_summary(case, now).model_dump(),
        body=case.body,
        public_text=case.public_text,
        is_whistleblower=case.is_whistleblower,
        hold_reason=case.hold_reason,
        reject_reason=case.reject_reason,
        author_handle=case.author_handle,
        contact=dict(case.contact or {}),
        address=case.address,
        latitude=case.latitude,
        longitude=case.longitude,
        satisfaction=case.satisfaction,
        deadlines=Deadlines.model_validate(case),
        messages=[
            MessageOut(
                id=m.id,
                channel=m.channel,
                author_handle=m.author_handle,
                text=m.text,
                received_at=m.received_at,
                attachments=[
                    AttachmentOut(
                        id=a.id, content_type=a.content_type, size=a.size, filename=a.filename, url=media_url(a.id)
                    )
                    for a in m.attachments
                ],
            )
            for m in case.messages
        ],
        answers=[AnswerOut.model_validate(a) for a in case.answers],
    )


@router.get("/cases", response_model=CasePage, responses=ERRORS, summary="List cases you may see")
def list_cases(
    db: DbSession,
    actor: CasesReader,
    status: CaseStatus | None = None,
    complaint_type: ComplaintType | None = None,
    category_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    department_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    channel: Channel | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    overdue: bool | None = None,
    received_from: AwareDatetime | None = None,
    received_to: AwareDatetime | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = 50,
) -> CasePage:
    """Newest first; officers and department managers see their department's cases only."""
    filters = service.CaseFilters(
        status=status,
        complaint_type=complaint_type,
        category_id=category_id,
        department_id=department_id,
        channel=channel,
        q=q,
        overdue=overdue,
        received_from=received_from,
        received_to=received_to,
        page=page,
        page_size=page_size,
    )
    now = utcnow()
    items, total = service.list_cases(db, actor=actor, filters=filters, now=now)
    return CasePage(items=[to_summary(c, now) for c in items], total=total, page=page, page_size=page_size)


@router.get("/cases/{number}", response_model=CaseDetail, responses=ERRORS, summary="Read one case")
def get_case(number: str, db: DbSession, actor: CasesReader) -> CaseDetail:
    """Messages, attachments, answers and deadlines of one case."""
    return to_detail(service.get_case_by_number(db, actor=actor, number=number), utcnow())


@router.post(
    "/cases",
    status_code=201,
    response_model=CaseCreated,
    responses={
        404: {"model": ErrorOut, "description": "Unknown organisation"},
        409: {"model": ErrorOut, "description": "This submission_id was already received (case_number given)"},
        422: {"model": ErrorOut, "description": "Invalid input, or an attachment too large or not an image"},
    },
    summary="Submit a complaint (the public web form's payload)",
)
def create_case(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    org: Annotated[str, Form(description="Organisation slug, e.g. songpa")],
    text: Annotated[str, Form(max_length=actions.MAX_TEXT_LENGTH)],
    submission_id: Annotated[str, Form(max_length=120, description="A UUID made when the form was shown")],
    category_hint: Annotated[str | None, Form(max_length=120)] = None,
    latitude: Annotated[float | None, Form(ge=-90, le=90)] = None,
    longitude: Annotated[float | None, Form(ge=-180, le=180)] = None,
    address: Annotated[str | None, Form(max_length=300)] = None,
    phone: Annotated[str | None, Form(max_length=40)] = None,
    email: Annotated[str | None, Form(max_length=254)] = None,
    visibility: Annotated[
        Visibility,
        Form(
            description="The citizen's choice, as on the web form: public (published after review, masked), "
            "private (비공개: answered, never published) or whistleblower (공익신고: private from the first second)"
        ),
    ] = "public",
    files: Annotated[list[UploadFile] | None, File(description="Up to 5 photos")] = None,
) -> JSONResponse:
    """No account needed; the same submission_id twice is refused with the first case's number.

    The web form's path in all but the page: the same limits (submissions per address and hour, links per text,
    the same text again within a day: 429 or 422 with the reason), photos cleaned as the form's are (decoded,
    re-encoded without EXIF, decompression bombs and non-images refused), a photo's GPS position the location when
    none was given, and triage as the complaint comes in.
    """
    form = webform.Submission(
        org_slug=org,
        text=text.strip(),
        submission_id=submission_id,
        category_hint=category_hint or None,
        address=address or None,
        latitude=latitude,
        longitude=longitude,
        phone=phone or None,
        email=email or None,
        visibility=visibility,
    )
    client_address = request.client.host if request.client else "unknown"
    # The cheap refusals first, as on the form: a flood costs no photo decoding.
    webform.precheck(
        db,
        settings=settings,
        form=form,
        client_address=client_address,
        honeypot=None,
        token=None,
        now=utcnow(),
        browser=False,
    )
    uploads = read_uploads(files, settings)
    try:
        photos = process_photos(
            [Upload(a.data, a.filename, a.content_type) for a in uploads],
            max_count=settings.max_attachments,
            max_bytes=settings.max_attachment_bytes,
        )
    except FormError as exc:
        raise AttachmentRejected(str(exc)) from None
    if latitude is None and longitude is None and photos.latitude is not None:
        form = dataclasses.replace(form, latitude=photos.latitude, longitude=photos.longitude)
    case = webform.submit(
        db,
        settings=settings,
        form=form,
        attachments=photos.attachments,
        client_address=client_address,
        honeypot=None,
        token=None,
        browser=False,
    )
    tracking_url = f"{settings.base_url}/cases/{case.number}"
    created = CaseCreated(number=case.number, tracking_url=tracking_url, citizen_token=case.citizen_token or "")
    return JSONResponse(created.model_dump(), status_code=201, headers={"Location": f"/cases/{quote(case.number)}"})


@router.post(
    "/cases/{number}/rating",
    response_model=RatingOut,
    responses={404: ERRORS[404], 409: ERRORS[409], 422: ERRORS[422]},
    summary="The citizen rates the answer",
)
def rate_case(number: str, body: RatingIn, db: DbSession) -> RatingOut:
    """With the token from the receipt; only answered or closed cases can be rated."""
    case = actions.rate(db, case_number=number, token=body.token, score=body.score, comment=body.comment)
    return RatingOut(number=case.number, satisfaction=case.satisfaction or body.score)


def _result(db: DbSession, actor: Actor, number: str, outcome: Outcome) -> ActionResult:
    db.expire_all()  # the action changed rows behind the loaded case's collections
    try:
        case: CaseDetail | None = to_detail(service.get_case_by_number(db, actor=actor, number=number), utcnow())
    except NotFound:
        case = None  # moved out of the actor's sight, e.g. transferred to another department
    return ActionResult(case=case, new_case_number=outcome.new_case_number, answer_id=outcome.answer_id)


def _command_route(command: Command) -> None:
    def endpoint(number: str, db: DbSession, actor: CasesWriter, body: Any = None) -> ActionResult:
        case = service.get_case_by_number(db, actor=actor, number=number)
        outcome = command.run(db, actor, case, body)
        return _result(db, actor, number, outcome)

    # FastAPI reads the signature: give each action its own typed body so the schema documents it.
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    parameters = [
        inspect.Parameter("number", kind, annotation=str),
        inspect.Parameter("db", kind, annotation=DbSession),
        inspect.Parameter("actor", kind, annotation=CasesWriter),
    ]
    if command.schema is not None:
        parameters.append(inspect.Parameter("body", kind, annotation=command.schema))
    setattr(endpoint, "__signature__", inspect.Signature(parameters, return_annotation=ActionResult))  # noqa: B010
    router.add_api_route(
        f"/cases/{{number}}/{command.name}",
        endpoint,
        methods=["POST"],
        response_model=ActionResult,
        responses=ERRORS,
        summary=command.summary,
        name=f"case_{command.name}",
        description=(
            f"Runs the `{command.name}` action. Needs a staff session and its X-CSRF-Token header, "
            "or an API token with the cases:write scope."
        ),
    )


for _command in COMMANDS.values():
    _command_route(_command)
