"""The department queue (/staff/queue): a department's open cases with their deadlines, its officers (on duty,
open cases each) and its assignment policy; plus what the case page shows beyond the case itself (internal
notes, the citizen's other cases on that account, the location).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sotong.actors import ORG_WIDE_ROLES, Actor, Role
from sotong.cases import assignment, service
from sotong.cases.assignment import AssignmentPolicy
from sotong.cases.models import Case
from sotong.cases.service import CaseFilters, DeadlineState, is_open
from sotong.console import counts as counting
from sotong.console import reference
from sotong.console.counts import Count, bounded_counts
from sotong.console.reference import DepartmentRef
from sotong.db import utcnow
from sotong.errors import NotFound, PermissionDenied, SotongError
from sotong.i18n import translate
from sotong.notes.actions import notes_of
from sotong.orgs.models import User
from sotong.web.deps import CurrentUser, DbSession, StaffActor
from sotong.web.error_text import error_text
from sotong.web.maps import MapView, map_view, mercator
from sotong.web.params import int_or_none, page_number
from sotong.web.session import flash
from sotong.web.templating import render, request_language

router = APIRouter(prefix="/staff", include_in_schema=False)

PAGE_SIZE = 50
SORTS = {"due": "due", "-due": "-due", "received": "received"}
HISTORY_LIMIT = 20


@dataclass(frozen=True)
class QueueFilters:
    department_id: int
    officer: str  # "" (everyone), "unassigned", "me" or a user id
    sort: str  # "due" (soonest first), "-due", "received" (newest first)
    page: int


def queue_department(session: Session, *, actor: Actor, requested: int | None) -> DepartmentRef | None:
    """The department whose queue the actor sees: their own below operator, else the one asked for (or the first)."""
    departments = reference.departments(session, org_id=actor.org_id or 0)
    if actor.role not in ORG_WIDE_ROLES:
        if actor.department_id is None:
            raise NotFound("you belong to no department")
        if requested is not None and requested != actor.department_id:
            raise NotFound("no such department")  # another department's queue does not exist for them
        return next((d for d in departments if d.id == actor.department_id), None)
    if requested is None:
        return departments[0] if departments else None
    for department in departments:
        if department.id == requested:
            return department
    raise NotFound("no such department")


def queue_cases(
    session: Session, *, actor: Actor, filters: QueueFilters, now: dt.datetime
) -> tuple[list[Case], Count, dict[str, Count]]:
    """One page of the department's open cases, the total, and counts (overdue, due soon, unassigned).

    The counts stop at COUNT_LIMIT ("1,000+"), the total at least past this page (so the pager knows whether
    there is a next one): a department holds tens of thousands of open cases, counted on every page view.
    """
    base = CaseFilters(department_id=filters.department_id, open_only=True)
    officer = filters.officer
    shown = dataclasses.replace(
        base,
        unassigned=officer == "unassigned",
        officer_id=actor.user_id if officer == "me" else int(officer) if officer.isdigit() else None,
    )

    def narrowed(**more: Any) -> Select[Case]:
        return service.filtered_cases(actor, dataclasses.replace(base, **more), now)

    query = service.filtered_cases(actor, shown, now)
    counted = bounded_counts(
        session,
        {
            "open": narrowed(),
            "overdue": narrowed(deadline=DeadlineState.overdue),
            "due_soon": narrowed(deadline=DeadlineState.due_soon),
            "unassigned": narrowed(unassigned=True),
            "total": query,
        },
        limits={"total": max(counting.COUNT_LIMIT, filters.page * PAGE_SIZE)},
    )
    total = counted.pop("total")
    order: list[Any]
    if filters.sort == "-due":
        order = [Case.due_at.desc(), Case.id.desc()]
    elif filters.sort == "received":
        order = [Case.received_at.desc(), Case.id.desc()]
    else:
        order = [Case.due_at, Case.id]
    items = session.scalars(query.order_by(*order).limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE))
    return list(items), total, counted


def department_staff(session: Session, *, department_id: int) -> list[tuple[User, Count]]:
    """The department's officers and managers with their open cases (counted up to COUNT_LIMIT), officers first."""
    users = list(
        session.scalars(
            select(User)
            .where(User.department_id == department_id, User.role.in_([Role.officer, Role.dept_manager]))
            .order_by(User.role.desc(), User.display_name)
        )
    )
    # Each load is a range of ix_cases_officer_open_due, all in one statement: an exact GROUP BY would read
    # every open case of the department on every view of the queue.
    loads = bounded_counts(
        session, {str(u.id): select(Case.id).where(Case.officer_id == u.id, is_open()) for u in users}
    )
    return [(u, loads[str(u.id)]) for u in users]


def citizen_history(session: Session, *, actor: Actor, case: Case) -> list[Case]:
    """The citizen's other cases on the same account (same handle), newest first, as far as the actor may see."""
    if not case.author_handle or case.channel_account_id is None:
        return []
    query = service.visible_cases(actor).where(
        Case.channel_account_id == case.channel_account_id,
        Case.author_handle == case.author_handle,
        Case.id != case.id,
    )
    return list(session.scalars(query.order_by(Case.received_at.desc()).limit(HISTORY_LIMIT)))


def case_page_extras(session: Session, *, actor: Actor, case: Case) -> dict[str, Any]:
    """What the case page shows beyond the case: notes (with author names), the citizen's history, the map."""
    notes = notes_of(session, actor=actor, case=case)
    history = citizen_history(session, actor=actor, case=case)
    authors = service.user_names(session, (n.author_id for n in notes))
    mentioned = service.user_names(session, (uid for n in notes for uid in (n.mentions or [])))
    return {
        "notes": notes,
        "note_authors": authors,
        "note_mentions": mentioned,
        "history": history,
        "can_note": actor.role in (Role.admin, Role.operator, Role.dept_manager, Role.officer),
        "location": _location(case),
    }


MAP_ZOOM = 4  # the case map starts at a quarter of Seoul's width around the case: the district and its neighbours
MARKER_SIZE = 16  # the marker's radius in SVG units at full view (map.js keeps it that size on screen as it zooms)


@lru_cache(maxsize=1)
def _base_map() -> MapView:
    """The district outlines as SVG paths: worked out once per process, the same for every case."""
    return map_view([])


def _location(case: Case) -> dict[str, Any] | None:
    """Coordinates, links to outside maps, and the embedded district map with the case marked (inside Seoul's
    outlines only). The map is the portal's own SVG base layer: no tiles and no third-party requests."""
    if case.latitude is None or case.longitude is None:
        return None
    lat, lon = case.latitude, case.longitude
    location: dict[str, Any] = {
        "lat": f"{lat:.6f}",
        "lon": f"{lon:.6f}",
        "osm": f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=18/{lat:.6f}/{lon:.6f}",
        "kakao": f"https://map.kakao.com/link/map/{case.number},{lat:.6f},{lon:.6f}",
        "map": None,
    }
    base = _base_map()
    west, south, east, north = base.bounds
    if west <= lon <= east and south <= lat <= north:
        mx, my = mercator(lon, lat)
        x, y = (mx - base.origin[0]) * base.scale, (my - base.origin[1]) * base.scale
        w, h = base.width / MAP_ZOOM, base.height / MAP_ZOOM
        left = min(max(x - w / 2, 0.0), base.width - w)
        top = min(max(y - h / 2, 0.0), base.height - h)
        location["map"] = base
        location["view"] = f"{left:.1f} {top:.1f} {w:.1f} {h:.1f}"
        location["marker"] = {
            "x": f"{x:.1f}",
            "y": f"{y:.1f}",
            "r": f"{MARKER_SIZE / MAP_ZOOM:.2f}",
            "size": MARKER_SIZE,
            "lat": location["lat"],
            "lon": location["lon"],
        }
    return location


# --------------------------------------------------------------------------------------------- pages


@router.get("/queue")
def queue(request: Request, db: DbSession, actor: StaffActor, user: CurrentUser) -> Response:
    """The department queue: open cases by deadline, officers on duty, the assignment policy."""
    params = request.query_params
    department = queue_department(db, actor=actor, requested=int_or_none(params.get("department_id")))
    now = utcnow()
    context: dict[str, Any] = {
        "department": department,
        "departments": reference.departments(db, org_id=user.org_id) if actor.role in ORG_WIDE_ROLES else [],
        "now": now,
    }
    if department is None:
        return render(request, "staff/queue.html", {**context, "items": [], "total": 0, "counts": {}})
    officer = params.get("officer") or ""
    if officer not in ("", "unassigned", "me") and not officer.isdigit():
        officer = ""
    filters = QueueFilters(
        department_id=department.id,
        officer=officer,
        sort=SORTS.get(params.get("sort") or "", "due"),
        page=page_number(params.get("page")),
    )
    items, total, counts = queue_cases(db, actor=actor, filters=filters, now=now)
    staff = department_staff(db, department_id=department.id)
    return render(
        request,
        "staff/queue.html",
        {
            **context,
            "filters": filters,
            "items": items,
            "total": total,
            "counts": counts,
            # A capped total means more beyond it: one page more keeps the "next" link.
            "pages": max(1, math.ceil(total.value / PAGE_SIZE) + int(total.capped)),
            "state": lambda c: service.deadline_state(c, now) or "",
            "officers": _officer_names(db, items, staff),
            "staff": staff,
            "policy": assignment.policy_of(db, department.id),
            "policies": list(AssignmentPolicy),
            "can_set_policy": actor.role is Role.admin
            or (actor.role is Role.dept_manager and actor.department_id == department.id),
            "can_toggle_duty": user.department_id == department.id and user.role in (Role.officer, Role.dept_manager),
        },
    )


def _officer_names(db: Session, items: list[Case], staff: list[tuple[User, Count]]) -> dict[int, str]:
    # The officers of a department's cases are nearly always its own staff, already loaded: ask only for others.
    names = {u.id: u.display_name for u, _ in staff}
    missing = {c.officer_id for c in items if c.officer_id is not None and c.officer_id not in names}
    return {**names, **service.user_names(db, missing)} if missing else names


@router.post("/queue/policy")
async def set_policy(request: Request, db: DbSession, actor: StaffActor) -> Response:
    """A manager (or admin) sets the department's automatic assignment policy."""
    form = await request.form()
    department_id = int_or_none(str(form.get("department_id") or ""))
    value = str(form.get("policy") or "")
    lang = request_language(request)
    back = RedirectResponse(f"/staff/queue?department_id={department_id or ''}", status_code=303)
    if department_id is None or value not in {p.value for p in AssignmentPolicy}:
        flash(request, "error", translate(lang, "queue.policy_invalid"))
        return back

    def run() -> None:
        assignment.set_policy(db, actor=actor, department_id=department_id, policy=AssignmentPolicy(value))

    try:
        await run_in_threadpool(run)
    except (NotFound, PermissionDenied):
        raise  # the error pages (404 / 403): a refusal is not a form mistake
    except SotongError as exc:
        flash(request, "error", error_text(exc, request_language(request)))
        return back
    flash(request, "success", translate(lang, "queue.policy_saved", policy=translate(lang, f"queue.policy_{value}")))
    return back


@router.post("/queue/duty")
async def toggle_duty(request: Request, db: DbSession, actor: StaffActor) -> Response:
    """The logged-in officer marks themself on or off duty (automatic assignment skips who is off duty)."""
    form = await request.form()
    on_duty = str(form.get("on_duty") or "") == "true"
    lang = request_language(request)

    def run() -> None:
        assignment.set_on_duty(db, actor=actor, on_duty=on_duty)

    try:
        await run_in_threadpool(run)
    except (NotFound, PermissionDenied):
        raise
    except SotongError as exc:
        flash(request, "error", error_text(exc, request_language(request)))
    else:
        flash(request, "success", translate(lang, "queue.duty_on" if on_duty else "queue.duty_off"))
    return RedirectResponse("/staff/queue", status_code=303)
