"""Staff console pages under /staff/: home, case list, case detail with its action forms, attachments.

Views read through `cases.service` and change state only through `cases.commands` (one action each).
"""

from __future__ import annotations

import math
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role
from sotong.audit.service import case_timeline
from sotong.cases import service
from sotong.cases.commands import COMMANDS, Command, available
from sotong.cases.models import Case, CaseStatus, ComplaintType, PeriodUnit, RejectReason
from sotong.cases.service import CaseFilters
from sotong.channels import sandbox
from sotong.console import answer_form, deliveries, publication, reference
from sotong.console import counts as counting
from sotong.console.counts import Count, bounded_count, bounded_counts
from sotong.console.queue import case_page_extras
from sotong.db import utcnow
from sotong.errors import NotFound, SotongError
from sotong.i18n import translate
from sotong.orgs.models import Channel
from sotong.web.csrf import CSRF_FIELD
from sotong.web.deps import AppSettings, CurrentUser, DbSession, StaffActor
from sotong.web.error_text import error_text
from sotong.web.params import enum_or_none, int_or_none, page_number
from sotong.web.session import flash
from sotong.web.templating import render, request_language

router = APIRouter(prefix="/staff", include_in_schema=False)

PAGE_SIZE = 25


def _filters(request: Request) -> CaseFilters:
    """Filters from the list page's query string; a value that does not parse is ignored, not an error page."""
    params = request.query_params
    overdue = params.get("overdue")
    return CaseFilters(
        status=enum_or_none(CaseStatus, params.get("status")),
        complaint_type=enum_or_none(ComplaintType, params.get("complaint_type")),
        category_id=int_or_none(params.get("category_id")),
        department_id=int_or_none(params.get("department_id")),
        channel=enum_or_none(Channel, params.get("channel")),
        q=(params.get("q") or "").strip()[:200] or None,
        overdue=True if overdue in ("1", "true", "on") else None,
        page=page_number(params.get("page")),
        page_size=PAGE_SIZE,
    )


def _labels(db: DbSession, cases: list[Case], org_id: int) -> dict[str, dict[int, str]]:
    # Department and category names come from the organisation's cached reference data: no query per page.
    return {
        "departments": reference.department_names(db, org_id=org_id),
        "categories": reference.category_names(db, org_id=org_id),
        "users": service.user_names(db, (c.officer_id for c in cases)),
    }


def _status_counts(db: Session, actor: Actor) -> dict[CaseStatus, Count]:
    """How many visible cases are in each status, each counted up to 1,000 on `ix_cases_org_status` (a GROUP BY
    would read every case of the organisation on each visit to the home page)."""
    visible = service.visible_cases(actor)
    counts = bounded_counts(db, {s.value: visible.where(Case.status == s) for s in CaseStatus})
    return {s: counts[s.value] for s in CaseStatus}


@router.get("/")
def home(request: Request, db: DbSession, user: CurrentUser, actor: StaffActor) -> Response:
    """Counts per status, my cases, what is due, my notifications, failed deliveries."""
    now = utcnow()
    mine = service.assigned_to(db, actor=actor)
    due = service.due_soon(db, actor=actor, within=service.DUE_SOON, now=now)
    failed = service.failed_deliveries(db, actor=actor)
    notifications = service.unread_notifications(db, actor=actor)
    numbers = service.case_numbers(
        db, {i for i in [*(f.case_id for f in failed), *(n.case_id for n in notifications)] if i is not None}
    )
    return render(
        request,
        "staff/home.html",
        {
            "counts": _status_counts(db, actor),
            "mine": mine,
            "due": due,
            "notifications": notifications,
            "failed": failed,
            "show_failed": user.role in (Role.admin, Role.operator),
            "case_numbers": numbers,
            "is_overdue": lambda c: service.is_overdue(c, now),
            "labels": _labels(db, [*mine, *due], user.org_id),
            **deliveries.labels(request_language(request)),
        },
    )


@router.get("/cases")
def case_list(request: Request, db: DbSession, actor: StaffActor, user: CurrentUser) -> Response:
    """Every case the user may see, filtered and paginated."""
    filters = _filters(request)
    now = utcnow()
    query = service.filtered_cases(actor, filters, now)
    offset = (filters.page - 1) * PAGE_SIZE
    items = list(db.scalars(query.order_by(Case.received_at.desc(), Case.id.desc()).limit(PAGE_SIZE).offset(offset)))
    # Counted only up to 1,000 (or just past this page): an operator's list holds every case of the organisation.
    total = bounded_count(db, query, limit=max(counting.COUNT_LIMIT, filters.page * PAGE_SIZE))
    pages = max(1, math.ceil(total.value / PAGE_SIZE))
    return render(
        request,
        "staff/cases.html",
        {
            "items": items,
            "total": total,
            "filters": filters,
            "page": filters.page,
            # A capped total means more pages beyond: one more keeps the "next" link, the label says "N+".
            "pages": pages + int(total.capped),
            "pages_label": f"{pages}+" if total.capped else str(pages),
            "is_overdue": lambda c: service.is_overdue(c, now),
            "labels": _labels(db, items, user.org_id),
            "departments": reference.departments(db, org_id=user.org_id),
            "categories": reference.categories(db, org_id=user.org_id),
            "statuses": list(CaseStatus),
            "complaint_types": list(ComplaintType),
            "channels": list(Channel),
        },
    )


@router.get("/cases/{number}")
def case_detail(number: str, request: Request, db: DbSession, actor: StaffActor, user: CurrentUser) -> Response:
    """Messages, answers, deadlines, timeline, and the forms of the actions this user may take now."""
    case = service.get_case_by_number(db, actor=actor, number=number)
    now = utcnow()
    officers = service.officers(db, department_id=case.department_id) if case.department_id else []
    # The officer and the answers' authors are mostly the department's own staff, already loaded: one query at most.
    wanted = {case.officer_id, *(a.author_id for a in case.answers)} - {None}
    names = {o.id: o.display_name for o in officers}
    missing = {i for i in wanted if i not in names}
    if missing:
        names |= service.user_names(db, missing)
    came_from, went_to = service.transfer_links(db, case)
    messages = case.messages or service.travelled_messages(db, case)
    # The citizen's own 분야 choice on the web form is stored as a code of the organisation the message came to,
    # which a transferred case's new organisation may not have: named by the message's own organisation.
    category_by_code = {
        (org_id, c.code): c.name
        for org_id in {case.org_id, *(m.org_id for m in messages)}
        for c in reference.categories(db, org_id=org_id)
    }
    return render(
        request,
        "staff/case.html",
        {
            "case": case,
            "came_from": came_from,
            "went_to": went_to,
            # A case transferred out keeps showing what the citizen wrote: it travelled to the new case.
            "messages": messages,
            "now": now,
            "overdue": service.is_overdue(case, now),
            # Practice messages from a bundled sandbox (channels/sandbox.py) must not pass for a citizen's.
            "from_sandbox": sandbox.account_is_sandbox(db, case.channel_account_id),
            "timeline": case_timeline(db, case_id=case.id),
            "commands": available(actor, case),
            "labels": {
                "departments": reference.department_names(db, org_id=case.org_id),
                "categories": reference.category_names(db, org_id=case.org_id),
                "users": names,
                "authors": names,
            },
            "departments": reference.departments(db, org_id=user.org_id),
            "categories": reference.categories(db, org_id=user.org_id),
            "category_by_code": category_by_code,
            "officers": officers,
            "organisations": [o for o in reference.organisations(db) if o.id != user.org_id],
            "complaint_types": list(ComplaintType),
            "reject_reasons": list(RejectReason),
            "period_units": list(PeriodUnit),
            **answer_form.answer_form_context(db, actor=actor, user=user, case=case, request=request),
            # Notes, the citizen's other cases and the location (console/queue.py).
            **case_page_extras(db, actor=actor, case=case),
            # What the case sent the citizen, and what to do about a delivery that failed (console/deliveries.py).
            **deliveries.case_page_context(db, actor=actor, case=case, lang=request_language(request)),
            # 공개: what the public sees of it, and the forms to correct or hide it (console/publication.py).
            **publication.case_page_context(actor, case),
        },
    )


@router.post("/cases/{number}/{action}")
async def case_action(number: str, action: str, request: Request, db: DbSession, actor: StaffActor) -> Response:
    """Run one action from a console form, then back to the case with a flash message (CSRF checked app-wide)."""
    command = COMMANDS.get(action)
    if command is None:
        raise NotFound(f"no action {action!r}")
    form = await request.form()
    values = {k: v for k, v in form.items() if k != CSRF_FIELD and isinstance(v, str) and v.strip() != ""}
    # The action blocks on the database: keep it off the event loop.
    return await run_in_threadpool(_run_command, request, db, actor, number, command, values)


def _run_command(
    request: Request, db: Session, actor: Actor, number: str, command: Command, values: dict[str, str]
) -> Response:
    lang = request_language(request)
    back = RedirectResponse(f"/staff/cases/{number}", status_code=303)
    case = service.get_case_by_number(db, actor=actor, number=number)
    try:
        body = command.schema.model_validate(values) if command.schema is not None else None
    except ValidationError as exc:
        if lang == "en":
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        else:  # the fields by their labels; pydantic's explanations are English
            fields = dict.fromkeys(str(e["loc"][0]) if e["loc"] else "" for e in exc.errors())
            problems = ", ".join(translate(lang, f"form.{f}") if f else "" for f in fields)
        flash(request, "error", translate(lang, "flash.invalid", problems=problems))
        return back
    try:
        outcome = command.run(db, actor, case, body)
    except SotongError as exc:
        flash(request, "error", error_text(exc, lang))
        return back
    flash(request, "success", translate(lang, f"done.{command.name}"))
    if outcome.new_case_number:
        flash(request, "success", translate(lang, "flash.new_case", number=outcome.new_case_number))
    db.expire_all()
    try:
        service.get_case_by_number(db, actor=actor, number=number)
    except NotFound:
        return RedirectResponse("/staff/cases", status_code=303)  # moved out of this user's sight
    return back


@router.get("/media/{attachment_id}")
def media(attachment_id: int, db: DbSession, actor: StaffActor, settings: AppSettings) -> Response:
    """An attachment of a case the user may see, from the media directory; never served publicly."""
    attachment = service.get_attachment(db, actor=actor, attachment_id=attachment_id)
    root = Path(settings.media_dir).resolve()
    path = (root / attachment.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound("the file of this attachment is missing")
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.filename or f"attachment-{attachment.id}",
        content_disposition_type="inline",
    )
