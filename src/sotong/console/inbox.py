"""The SNS centre's live inbox at /staff/inbox: every case of the organisation with its automatic triage,
confirmed or corrected in one action, worked in bulk, kept current by polling /staff/inbox/updates.

Reads go through `console.inbox_service`, changes through `console.desk` and `triage.actions` (one action per
case). Every route refuses (403) anyone but operators and administrators. The forms work without JavaScript
(post, flash, back to the list); inbox.js posts the same forms with `Accept: application/json` and gets the
re-rendered rows back, so the row markup has one source: templates/staff/inbox_row.html.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.cases import service as case_service
from sotong.cases.models import Case, CaseStatus, ComplaintType, RejectReason
from sotong.cases.status import TRANSITIONS, status_label
from sotong.console import desk, reference
from sotong.console.inbox_service import (
    DeadlineState,
    InboxFilters,
    InboxRow,
    changed_since,
    inbox_page,
    new_since,
    newest_id,
    require_inbox,
    rows_for,
    waiting_count,
)
from sotong.db import utcnow
from sotong.errors import InvalidInput, SotongError
from sotong.i18n import translate, translator
from sotong.orgs.models import Channel, User
from sotong.settings import Settings
from sotong.triage import review as triage_review
from sotong.web.csrf import CSRF_FIELD
from sotong.web.deps import CurrentUser, DbSession, StaffActor
from sotong.web.error_text import error_text, message_text
from sotong.web.params import enum_or_none, int_or_none
from sotong.web.session import csrf_token, flash
from sotong.web.templating import render, request_language, templates

router = APIRouter(prefix="/staff", include_in_schema=False)

POLL_SECONDS = 5
# Changes committed just before a poll's clock reading may carry an earlier updated_at: look back a little.
CHANGE_OVERLAP = dt.timedelta(seconds=10)
BULK_ACTIONS = ("confirm", "route", "opinion", "hide", "merge")
FILTER_KEYS = ("channel", "account_id", "status", "category_id", "department_id", "complaint_type", "deadline", "q")


# The status filter's own values beside the statuses: the desk's to-do list (the default) and everything.
WAITING, EVERYTHING = "waiting", "all"


def _filters(params: Any) -> InboxFilters:
    """Filters from a query string; a value that does not parse is ignored rather than an error page.

    The page opens on what waits for the desk (`status=waiting`, also when no filter at all is given);
    `status=all` (or an empty status beside other filters) shows every case.
    """
    status = params.get("status")
    landing = not any(params.get(k) for k in FILTER_KEYS) and status is None
    return InboxFilters(
        channel=enum_or_none(Channel, params.get("channel")),
        account_id=int_or_none(params.get("account_id")),
        status=enum_or_none(CaseStatus, status),
        waiting=status == WAITING or landing,
        category_id=int_or_none(params.get("category_id")),
        department_id=int_or_none(params.get("department_id")),
        complaint_type=enum_or_none(ComplaintType, params.get("complaint_type")),
        deadline=enum_or_none(DeadlineState, params.get("deadline")),
        q=(params.get("q") or "").strip()[:200] or None,
    )


def _filter_query(params: Any) -> str:
    """The filter part of a query string (no paging, values that did not parse dropped), to carry into links,
    polls and the way back after an action."""
    filters = _filters(params)
    kept = {k: getattr(filters, k) for k in FILTER_KEYS if getattr(filters, k) is not None}
    if filters.waiting:
        kept["status"] = WAITING
    elif filters.status is None and params.get("status") == EVERYTHING:
        kept["status"] = EVERYTHING
    return urlencode({k: v.value if hasattr(v, "value") else v for k, v in kept.items()})


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _safe_back(target: Any) -> str:
    # Only back into the inbox itself: the field comes from the form and must not become an open redirect.
    if isinstance(target, str) and target.startswith("/staff/inbox") and "//" not in target and "\\" not in target:
        return target
    return "/staff/inbox"


def _lookups(db: Session, org_id: int) -> dict[str, Any]:
    # Cached per process for a few seconds (console/reference.py): the same rows on every page and poll.
    departments = reference.departments(db, org_id=org_id)
    categories = reference.categories(db, org_id=org_id)
    org_accounts = reference.accounts(db, org_id=org_id)
    return {
        "departments": departments,
        "categories": categories,
        "accounts": org_accounts,
        "department_names": {d.id: d.name for d in departments},
        "category_names": {c.id: c.name for c in categories},
        "account_names": {a.id: a.handle for a in org_accounts},
        "triageable": {s.value for s in TRANSITIONS["triage"].sources},
    }


def _rows(db: Session, cases: list[Case], lookups: dict[str, Any], now: dt.datetime) -> list[InboxRow]:
    return rows_for(db, cases, now=now, categories=lookups["category_names"], departments=lookups["department_names"])


def _row_helpers(request: Request) -> dict[str, Any]:
    """What the row template needs beyond its row: the same helpers `render` gives a whole page."""
    settings: Settings = request.app.state.settings
    lang = request_language(request)
    tz = ZoneInfo(settings.timezone)

    def local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(tz).strftime(fmt) if value is not None else ""

    return {
        "lang": lang,
        "t": translator(lang),
        "status_label": lambda status: status_label(status, lang),
        "local": local,
        "csrf_token": csrf_token(request),
    }


# Rendered rows, shared by every desk session of this process: fifty rows are most of an inbox page's CPU, and
# the same newest rows are shown to every operator, on every page view and poll, until one of them changes.
# The key holds everything a row's markup depends on; the session's CSRF token is filled in after.
ROW_CACHE_SIZE = 2000
_CSRF_SLOT = "__sotong_row_csrf__"
_row_cache: dict[tuple[Any, ...], str] = {}
_row_cache_lock = threading.Lock()


def _lookup_stamp(lookups: dict[str, Any]) -> int:
    """Changes when a name the rows show changes (a department or category renamed, an account added)."""
    return hash(
        (
            tuple(lookups["department_names"].items()),
            tuple(lookups["category_names"].items()),
            tuple(lookups["account_names"].items()),
        )
    )


def _rendered(request: Request, rows: list[InboxRow], lookups: dict[str, Any], back: str) -> list[dict[str, Any]]:
    helpers = _row_helpers(request)
    token = str(escape(helpers["csrf_token"]))
    helpers["csrf_token"] = _CSRF_SLOT
    stamp = _lookup_stamp(lookups)
    template = None
    rendered = []
    for row in rows:
        key = (row.case.id, row.version, helpers["lang"], back, stamp)
        with _row_cache_lock:
            html = _row_cache.get(key)
        if html is None:
            template = template or templates.env.get_template("staff/inbox_row.html")
            html = template.render(row=row, L=lookups, back=back, **helpers)
            with _row_cache_lock:
                if len(_row_cache) >= ROW_CACHE_SIZE:
                    _row_cache.clear()  # crude, but a full cache is rare: the rows shown are mostly the newest
                _row_cache[key] = html
        rendered.append(
            {
                "id": row.case.id,
                "number": row.case.number,
                "version": row.version,
                "html": html.replace(_CSRF_SLOT, token),
            }
        )
    return rendered


# --------------------------------------------------------------------------------------------- pages


@router.get("/inbox")
def inbox(request: Request, db: DbSession, actor: StaffActor, user: CurrentUser) -> Response:
    """The inbox page: filters, bulk toolbar, the newest cases with their triage, shortcuts help."""
    require_inbox(actor)
    now = utcnow()
    params = request.query_params
    filters = _filters(params)
    before = int_or_none(params.get("before"))
    cases, next_before = inbox_page(db, actor=actor, filters=filters, now=now, before_id=before)
    lookups = _lookups(db, user.org_id)
    filter_query = _filter_query(params)
    back = "/staff/inbox" + (f"?{filter_query}" if filter_query else "")
    correcting = params.get("correct") or ""
    return render(
        request,
        "staff/inbox.html",
        {
            "rows": [Markup(r["html"]) for r in _rendered(request, _rows(db, cases, lookups, now), lookups, back)],
            "L": lookups,
            "filters": filters,
            "filter_query": filter_query,
            "next_url": f"/staff/inbox?{filter_query + '&' if filter_query else ''}before={next_before}"
            if next_before
            else None,
            "first_page": before is None,
            "back": back,
            "waiting": waiting_count(db, actor=actor),
            # Not the newest row shown: a view ordered by deadline shows old cases first.
            "latest_id": newest_id(db),
            "polled_at": now.isoformat(),
            "poll_seconds": POLL_SECONDS,
            "correcting": correcting[:40],
            "statuses": list(CaseStatus),
            "complaint_types": list(ComplaintType),
            "channels": list(Channel),
            "deadline_states": list(DeadlineState),
            "hide_reasons": desk.HIDE_REASONS,
            "thank_you": desk.THANK_YOU,
            "bulk_actions": BULK_ACTIONS,
        },
    )


@router.get("/inbox/updates")
def updates(request: Request, db: DbSession, actor: StaffActor, user: CurrentUser) -> JSONResponse:
    """For the polling page: rows that arrived after `since` (a case id) and rows among `ids` that changed
    after `after`, rendered; plus the clock reading to send next time. Same filters as the page."""
    require_inbox(actor)
    now = utcnow()
    params = request.query_params
    filters = _filters(params)
    since = int_or_none(params.get("since")) or 0
    try:
        after = dt.datetime.fromisoformat(params.get("after") or "")
    except ValueError:
        after = now
    if after.tzinfo is None:
        after = after.replace(tzinfo=dt.UTC)
    ids = [i for i in (int_or_none(p) for p in (params.get("ids") or "").split(",")) if i is not None]
    lookups = _lookups(db, user.org_id)
    back = "/staff/inbox" + (f"?{_filter_query(params)}" if _filter_query(params) else "")
    known = set(ids)
    # Rows the browser already shows are never sent as new (the look-back would otherwise resend them each poll).
    arrived = new_since(db, actor=actor, filters=filters, since_id=since, now=now, created_after=after - CHANGE_OVERLAP)
    fresh = [c for c in arrived if c.id not in known]
    seen = {c.id for c in fresh}
    changed = [c for c in changed_since(db, actor=actor, ids=ids, after=after - CHANGE_OVERLAP) if c.id not in seen]
    return JSONResponse(
        {
            "now": now.isoformat(),
            "latest_id": max([since, *(c.id for c in fresh)]),
            "new": _rendered(request, _rows(db, fresh, lookups, now), lookups, back),
            "changed": _rendered(request, _rows(db, changed, lookups, now), lookups, back),
            **_waiting(db, actor),
        }
    )


def _waiting(db: Session, actor: Actor) -> dict[str, Any]:
    # inbox.js shows the label ("1,000+" once the count stops); the number stays for scripts and tests.
    waiting = waiting_count(db, actor=actor)
    return {"waiting": waiting.value, "waiting_label": str(waiting)}


# --------------------------------------------------------------------------------------------- actions


class CorrectIn(BaseModel):
    """정정: what the case really is, chosen by the operator."""

    model_config = ConfigDict(extra="ignore")

    number: str
    relevant: bool = True
    complaint_type: ComplaintType = ComplaintType.other
    category_id: int | None = None
    department_id: int | None = None


def _form_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key == CSRF_FIELD or not isinstance(value, str):
            continue
        if key == "numbers":
            values.setdefault("numbers", []).append(value)
        elif value.strip() != "":
            values[key] = value.strip()
    return values


@router.post("/inbox/{number}/confirm")
async def confirm(number: str, request: Request, db: DbSession, actor: StaffActor, user: CurrentUser) -> Response:
    """Accept one case's automatic triage as it is (the case is routed, the decision becomes a label)."""
    require_inbox(actor)
    values = _form_values(await request.form())
    values["action"] = "confirm"
    values["numbers"] = [number]
    return await run_in_threadpool(_bulk, request, db, actor, user, values)


@router.post("/inbox/correct")
async def correct(request: Request, db: DbSession, actor: StaffActor, user: CurrentUser) -> Response:
    """Correct one case's triage (relevant or not, type, category, department): routed and labelled."""
    require_inbox(actor)
    values = _form_values(await request.form())
    return await run_in_threadpool(_correct, request, db, actor, user, values)


@router.post("/inbox/bulk")
async def bulk(request: Request, db: DbSession, actor: StaffActor, user: CurrentUser) -> Response:
    """One action on every selected case: confirm, route, simple opinion, hide, merge."""
    require_inbox(actor)
    values = _form_values(await request.form())
    return await run_in_threadpool(_bulk, request, db, actor, user, values)


def _correct(request: Request, db: Session, actor: Actor, user: User, values: dict[str, Any]) -> Response:
    try:
        body = CorrectIn.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return _refused(request, values, InvalidInput(problems))

    def apply(case: Case) -> object:
        return triage_review.review(
            db,
            actor=actor,
            case_id=case.id,
            relevant=body.relevant,
            complaint_type=body.complaint_type,
            category_id=body.category_id if body.relevant else None,
            department_id=body.department_id if body.relevant else None,
        )

    return _respond(
        request, db, actor, user, values, "correct", desk.run_bulk(db, actor=actor, numbers=[body.number], apply=apply)
    )


def _bulk(request: Request, db: Session, actor: Actor, user: User, values: dict[str, Any]) -> Response:
    action = values.get("action")
    numbers = values.get("numbers") or []
    try:
        apply = _applier(db, actor, action, values)
        results = desk.run_bulk(db, actor=actor, numbers=numbers, apply=apply)
    except SotongError as exc:
        return _refused(request, values, exc)
    return _respond(request, db, actor, user, values, str(action), results)


def _applier(db: Session, actor: Actor, action: Any, values: dict[str, Any]) -> Callable[[Case], object]:
    """The per-case function of a bulk action, its parameters checked once before any case is touched."""
    if action == "confirm":
        chosen = int_or_none(values.get("department_id"))
        return lambda case: triage_review.confirm(db, actor=actor, case_id=case.id, department_id=chosen)
    if action == "route":
        department_id = int_or_none(values.get("department_id"))
        if department_id is None:
            raise InvalidInput("choose the department to route to")
        reason = str(values.get("reason") or "")
        return lambda case: desk.route(db, actor=actor, case_id=case.id, department_id=department_id, reason=reason)
    if action == "opinion":
        text = str(values.get("answer") or desk.THANK_YOU)
        return lambda case: desk.simple_opinion(db, actor=actor, case_id=case.id, body=text)
    if action == "hide":
        hide_reason = enum_or_none(RejectReason, values.get("hide_reason"))
        if hide_reason is None:
            raise InvalidInput("choose why the messages are hidden")
        note = str(values.get("note") or "")
        return lambda case: desk.hide(db, actor=actor, case_id=case.id, reason=hide_reason, note=note)
    if action == "merge":
        into = str(values.get("into") or "").strip()
        if not into:
            raise InvalidInput("give the number of the case to merge into")
        target = case_service.get_case_by_number(db, actor=actor, number=into)
        return lambda case: desk.merge_into(db, actor=actor, case_id=case.id, into_case_id=target.id)
    raise InvalidInput(f"unknown bulk action {action!r}; one of {', '.join(BULK_ACTIONS)}")


def _refused(request: Request, values: dict[str, Any], exc: SotongError) -> Response:
    """The whole request was refused before any case was touched (bad input, unknown merge target)."""
    if _wants_json(request):
        detail = error_text(exc, request_language(request))
        return JSONResponse({"ok": False, "error": exc.code, "detail": detail}, status_code=exc.http_status)
    flash(request, "error", error_text(exc, request_language(request)))
    return RedirectResponse(_safe_back(values.get("back")), status_code=303)


def _respond(
    request: Request,
    db: Session,
    actor: Actor,
    user: User,
    values: dict[str, Any],
    action: str,
    results: list[desk.ItemResult],
) -> Response:
    lang = request_language(request)
    done = [r for r in results if r.ok]
    failed = [r for r in results if not r.ok]
    # Say what was done, as a sentence; failures only when there are some ("0건 실패" is noise).
    parts = [translate(lang, f"inbox.done.{action}", count=len(done))] if done else []
    if failed:
        parts.append(translate(lang, "inbox.failed_some", count=len(failed)))
    summary = " ".join(parts)
    back = _safe_back(values.get("back"))
    if not _wants_json(request):
        flash(request, "success" if not failed else "error", summary)
        for item in failed:
            flash(request, "error", f"{item.number}: {message_text(item.error or '', item.code or 'error', lang)}")
        return RedirectResponse(back, status_code=303)
    db.expire_all()
    now = utcnow()
    lookups = _lookups(db, user.org_id)
    ids = [r.case_id for r in results if r.case_id is not None]
    cases = changed_since(db, actor=actor, ids=ids, after=None)
    return JSONResponse(
        {
            "ok": not failed,
            "message": summary,
            "results": [
                {
                    "number": r.number,
                    "ok": r.ok,
                    "error": message_text(r.error, r.code or "error", lang) if r.error else r.error,
                    "code": r.code,
                }
                for r in results
            ],
            "rows": _rendered(request, _rows(db, cases, lookups, now), lookups, back),
            **_waiting(db, actor),
        }
    )
