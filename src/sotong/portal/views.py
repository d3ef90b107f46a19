"""Public portal pages: the live list of public cases with filters and Korean search, a case's page (rating
and follow-up for the citizen who filed it), tracking by number, the best-answers showcase; and the staff
button that curates the showcase.

Only masked text (`Case.public_text`, `Answer.public_body`) and public timeline events reach these pages; every
read goes through `portal.service`, every write through one action.
"""

from __future__ import annotations

import re
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sotong.cases import actions, links
from sotong.cases.models import Case, CaseStatus
from sotong.cases.service import get_case_by_number, publication_state
from sotong.cases.status import status_label
from sotong.errors import NotFound, SotongError
from sotong.i18n import translate
from sotong.portal import actions as portal_actions
from sotong.portal import pagecache, service
from sotong.portal.service import ChannelGroup, Cursor, PublicFilters, PublicStatus
from sotong.text.pii import mask
from sotong.web.csrf import verify_csrf
from sotong.web.deps import AppSettings, DbSession, StaffActor
from sotong.web.error_text import error_text
from sotong.web.params import date_or_none, enum_or_none, int_or_none
from sotong.web.session import flash
from sotong.web.templating import render, request_language, templates

router = APIRouter(include_in_schema=False)
staff_router = APIRouter(prefix="/staff", include_in_schema=False)

# A case number as printed on receipts: 2026-송파-000123.
CASE_NUMBER = re.compile(r"^\s*(\d{4}-[^\s/]{1,16}-\d{1,10})\s*$")
E = TypeVar("E", bound=StrEnum)


def _tracking_link_token(case: Case) -> str:
    return links.link_token(case_number=case.number, citizen_token=case.citizen_token or "")


# The web receipt (rendered by the web form's view) links to the case page with the citizen's link token.
templates.env.globals["tracking_link_token"] = _tracking_link_token


def _filters(request: Request, orgs_by_slug: dict[str, int]) -> PublicFilters:
    params = request.query_params
    return PublicFilters(
        org_id=orgs_by_slug.get(params.get("org") or ""),
        channel_group=enum_or_none(ChannelGroup, params.get("channel")),
        category_id=int_or_none(params.get("category"), "category"),
        department_id=int_or_none(params.get("department"), "department"),
        status=enum_or_none(PublicStatus, params.get("status")),
        received_from=date_or_none(params.get("from"), "from"),
        received_to=date_or_none(params.get("to"), "to"),
        q=(params.get("q") or "").strip()[:200] or None,
    )


def _excerpt(text: str | None, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


@router.get("/")
def index(request: Request, db: DbSession, settings: AppSettings) -> Response:
    """Public cases, newest first, with filters and search; the list grows live (portal.js polls latest.json)."""
    orgs = service.organisations(db)
    filters = _filters(request, {o.slug: o.id for o in orgs})
    if filters.q and CASE_NUMBER.match(filters.q):
        # Someone pasted the number from their receipt into the search box: take them to it.
        return RedirectResponse(f"/cases/{quote(filters.q.strip())}", status_code=303)
    after = Cursor.decode(request.query_params.get("after"))
    page = service.list_cases(db, filters=filters, after=after)
    live_params = {k: v for k, v in request.query_params.items() if k not in ("after", "lang")}
    shared = pagecache.anonymous(request)
    response = render(
        request,
        "portal/index.html",
        {
            "page": page,
            "filters": filters,
            "params": request.query_params,
            "orgs": orgs,
            "departments": service.departments(db, org_id=filters.org_id),
            "categories": service.categories(db, org_id=filters.org_id),
            "channel_groups": list(ChannelGroup),
            "public_statuses": list(PublicStatus),
            "public_status_of": service.PUBLIC_STATUS_OF,
            "group_of_channel": service.GROUP_OF_CHANNEL,
            "excerpt": _excerpt,
            "first_page": after is None,
            "top_cursor": service.Cursor.of(page.items[0]).encode() if page.items else "",
            "live_query": urlencode(live_params),
            "count_cap": service.COUNT_CAP,
        },
    )
    # The same for every anonymous reader and seconds-fresh is plenty: the page polls for newer cases itself.
    return pagecache.mark_public(response, settings.portal_cache_seconds) if shared else response


@router.get("/portal/latest.json")
def latest(request: Request, db: DbSession, settings: AppSettings) -> Response:
    """Cases newer than `since` matching the same filters, for the live list (masked text only)."""
    orgs = service.organisations(db)
    filters = _filters(request, {o.slug: o.id for o in orgs})
    since = Cursor.decode(request.query_params.get("since"))
    lang = request_language(request)
    items: list[Case] = service.newer_than(db, filters=filters, since=since) if since is not None else []
    tz = ZoneInfo(settings.timezone)
    names = service.labels(db, items)
    body = {
        "top": Cursor.of(items[0]).encode() if items else (since.encode() if since else ""),
        "items": [
            {
                "number": c.number,
                "url": f"/cases/{quote(c.number)}",
                "status": service.PUBLIC_STATUS_OF.get(c.status, service.PublicStatus.in_progress).value,
                "status_label": translate(lang, f"portal.pstatus.{service.PUBLIC_STATUS_OF[c.status].value}")
                if c.status in service.PUBLIC_STATUS_OF
                else status_label(c.status, lang),
                "received_at": c.received_at.isoformat(),
                # Shown as the server shows it (organisation's zone), not in the reader's browser zone.
                "received_label": c.received_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                "org": names["orgs"].get(c.org_id, ""),
                "department": names["departments"].get(c.department_id or 0, ""),
                "channel": translate(lang, f"portal.channel_group.{service.GROUP_OF_CHANNEL[c.channel].value}"),
                "text": _excerpt(c.public_text),
            }
            for c in items
        ],
        "announce": translate(lang, "portal.live_new", count=len(items)) if items else "",
    }
    # Seconds-fresh is plenty: lets a reverse proxy answer the crowd polling at once.
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=5"})


@router.get("/track")
def track(number: str = "") -> Response:
    """The tracking form on the list: straight to the case page (which answers 404 for an unknown number)."""
    number = number.strip()
    if not number:
        return RedirectResponse("/", status_code=303)
    return RedirectResponse(f"/cases/{quote(number)}", status_code=303)


def _citizen_token(case: Case, presented: str | None) -> str | None:
    """The presented token when it proves the citizen who filed the case; None otherwise."""
    ok = links.verify(case_number=case.number, citizen_token=case.citizen_token, presented=presented)
    return presented.strip() if ok and presented else None


@router.get("/cases/{number}")
async def case_page(number: str, request: Request, t: str | None = None) -> Response:
    """One public case: masked complaint, department, timeline with the deadline kept or missed, masked answers,
    result photos; with a valid token from the receipt, the rating and follow-up forms.

    One trip to the threadpool for the whole page (session, queries, rendering): as a plain `def` with the
    `DbSession` dependency it took three, and under load each is a wait for the worker's GIL.
    """
    return await run_in_threadpool(_case_page, request, number, t)


def _case_page(request: Request, number: str, t: str | None) -> Response:
    with request.app.state.sessions() as db:
        request.state.db = db  # as `get_db` does: template helpers read through the request's session
        return _render_case_page(request, db, number, t)


def _render_case_page(request: Request, db: Session, number: str, t: str | None) -> Response:
    shown = service.case_page(db, number=number, presented=t)
    case = shown.case
    token = _citizen_token(case, t)
    # The citizen (their token) follows the complaint to the other end of a transfer even while that case is not
    # public: it carries the same citizen token, so a link token of its own number opens it for them.
    own_links = (
        {
            link.number: f"/cases/{link.number}?"
            + urlencode({"t": links.link_token(case_number=link.number, citizen_token=case.citizen_token)})
            for link in (shown.came_from, shown.went_to)
            if link is not None
        }
        if token and case.citizen_token
        else {}
    )
    return render(
        request,
        "portal/case.html",
        {
            "case": case,
            "names": shown.names,
            "timeline": shown.timeline,
            "deadline": service.deadline_state(case),
            "public_status": service.PUBLIC_STATUS_OF.get(case.status),
            "place": service.place_name(case, request_language(request)),
            "photos": shown.photos,
            "token": token,
            "token_refused": t is not None and token is None,
            "can_rate": token is not None and case.status.value in ("answered", "closed"),
            "submission_id": str(uuid.uuid4()),
            "channel_group": service.GROUP_OF_CHANNEL.get(case.channel),
            "showcased": shown.showcased,
            # Written by staff for the citizen: masked like everything public.
            "hold_reason": mask(case.hold_reason) if case.status is CaseStatus.on_hold and case.hold_reason else None,
            "came_from": shown.came_from,
            "went_to": shown.went_to,
            "own_links": own_links,
            # The citizen's own view (their token): whether the public sees it, and the 비공개 switch.
            "publication": publication_state(case) if token else None,
        },
    )


def _back(number: str, token: str | None) -> RedirectResponse:
    query = f"?{urlencode({'t': token})}" if token else ""
    return RedirectResponse(f"/cases/{quote(number)}{query}", status_code=303)


@router.post("/cases/{number}/rate", dependencies=[Depends(verify_csrf)])
def rate(
    number: str,
    request: Request,
    db: DbSession,
    token: Annotated[str, Form(max_length=200)] = "",
    score: Annotated[int, Form(ge=1, le=5)] = 0,
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The citizen's satisfaction rating (1-5), proven by the token from their receipt or tracking link."""
    case = service.get_case(db, number=number, presented=token)
    lang = request_language(request)
    if _citizen_token(case, token) is None or not case.citizen_token:
        raise NotFound("no such case, or the token does not match")
    try:
        actions.rate(db, case_number=case.number, token=case.citizen_token, score=score, comment=comment)
    except SotongError as exc:
        flash(request, "error", error_text(exc, request_language(request)))
        return _back(number, token)
    flash(request, "success", translate(lang, "portal.rated"))
    return _back(number, token)


@router.post("/cases/{number}/follow-up", dependencies=[Depends(verify_csrf)])
def follow_up(
    number: str,
    request: Request,
    db: DbSession,
    token: Annotated[str, Form(max_length=200)] = "",
    text: Annotated[str, Form(max_length=actions.MAX_TEXT_LENGTH)] = "",
    submission_id: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    """A follow-up question from the citizen who filed the case; an answered case reopens."""
    case = service.get_case(db, number=number, presented=token)
    lang = request_language(request)
    if _citizen_token(case, token) is None or not case.citizen_token:
        raise NotFound("no such case, or the token does not match")
    try:
        actions.follow_up_from_portal(
            db, case_number=case.number, token=case.citizen_token, text=text, submission_id=submission_id
        )
    except SotongError as exc:
        flash(request, "error", error_text(exc, request_language(request)))
        return _back(number, token)
    flash(request, "success", translate(lang, "portal.followed_up"))
    return _back(number, token)


@router.get("/cases/{number}/photos/{attachment_id}")
def photo(number: str, attachment_id: int, db: DbSession, settings: AppSettings) -> Response:
    """A result photo of a public answer (never a citizen's own photo)."""
    attachment = service.answer_photo(db, number=number, attachment_id=attachment_id)
    root = Path(settings.media_dir).resolve()
    path = (root / attachment.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound("the file of this photo is missing")
    return FileResponse(path, media_type=attachment.content_type, content_disposition_type="inline")


@router.get("/best")
def best(request: Request, db: DbSession, org: str | None = None) -> Response:
    """The best answers staff chose, newest choice first."""
    orgs = service.organisations(db)
    chosen = next((o for o in orgs if o.slug == org), None)
    entries = service.showcase(db, org_id=chosen.id if chosen else None)
    return render(
        request,
        "portal/best.html",
        {
            "entries": entries,
            "names": service.labels(db, [c for c, _ in entries]),
            "orgs": orgs,
            "chosen": chosen,
            "excerpt": _excerpt,
        },
    )


@staff_router.post("/cases/{number}/showcase")
async def staff_showcase(number: str, request: Request, db: DbSession, actor: StaffActor) -> Response:
    """The staff case page's button: in or out of the best-answers showcase (CSRF checked app-wide)."""
    form = await request.form()
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    return await run_in_threadpool(_showcase, request, db, actor, number, values)


def _showcase(request: Request, db: Any, actor: Any, number: str, values: dict[str, Any]) -> Response:
    lang = request_language(request)
    case = get_case_by_number(db, actor=actor, number=number)
    on = values.get("on") == "1"
    try:
        portal_actions.set_showcase(db, actor=actor, case_id=case.id, on=on, note=values.get("note"))
    except SotongError as exc:
        flash(request, "error", error_text(exc, request_language(request)))
    else:
        flash(request, "success", translate(lang, "portal.showcase_added" if on else "portal.showcase_removed"))
    return RedirectResponse(f"/staff/cases/{quote(number)}", status_code=303)


@router.post("/cases/{number}/private", dependencies=[Depends(verify_csrf)])
def make_private(
    number: str,
    request: Request,
    db: DbSession,
    token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The citizen who filed the case makes it private (비공개): it leaves every public page at once, for good."""
    case = service.get_case(db, number=number, presented=token)
    if _citizen_token(case, token) is None or not case.citizen_token:
        raise NotFound("no such case, or the token does not match")
    actions.make_private_by_citizen(db, case_number=case.number, token=case.citizen_token)
    flash(request, "success", translate(request_language(request), "privacy.citizen.done"))
    return _back(number, token)
