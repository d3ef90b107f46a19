"""Deadline policies (SLA) and the business calendar: opening hours, lunch, closure days."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.cases.deadlines import actions as deadline_actions
from sotong.cases.deadlines.models import ClosureDay, SlaPolicy
from sotong.cases.models import ComplaintType, PeriodUnit
from sotong.console.admin.common import done, own_row, page, router
from sotong.console.admin.forms import AdminActor, Form, FormData
from sotong.db import utcnow
from sotong.errors import InvalidInput, NotFound
from sotong.orgs.models import Category, Channel, Department, Organisation
from sotong.web.deps import DbSession

# --------------------------------------------------------------------------------------------- SLA policies


def _sla_choices(db: Session, actor: Actor) -> dict[str, Any]:
    departments = list(
        db.scalars(select(Department).where(Department.org_id == actor.org_id).order_by(Department.name))
    )
    categories = list(db.scalars(select(Category).where(Category.org_id == actor.org_id).order_by(Category.name)))
    return {
        "departments": departments,
        "categories": categories,
        "channels": list(Channel),
        "complaint_types": list(ComplaintType),
        "units": list(PeriodUnit),
        "names": {
            "department": {d.id: d.name for d in departments},
            "category": {c.id: c.name for c in categories},
        },
    }


def _sla_fields(form: Form, choices: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": form.text("name", required=True),
        "priority": form.integer("priority", required=True, minimum=0, maximum=100000),
        "channel": form.choice("channel", Channel),
        "category_id": form.ref("category_id", {c.id for c in choices["categories"]}),
        "department_id": form.ref("department_id", {d.id for d in choices["departments"]}),
        "complaint_type": form.choice("complaint_type", ComplaintType),
        "resolution_value": form.integer("resolution_value", minimum=1, maximum=365),
        "resolution_unit": form.choice("resolution_unit", PeriodUnit),
        "first_response_minutes": form.integer("first_response_minutes", minimum=1, maximum=100000),
        "answer_target_minutes": form.integer("answer_target_minutes", minimum=1, maximum=100000),
    }


def _sla_page(request: Request, db: Session, actor: Actor, form: Form | None = None) -> Response:
    policies = list(
        db.scalars(select(SlaPolicy).where(SlaPolicy.org_id == actor.org_id).order_by(SlaPolicy.priority, SlaPolicy.id))
    )
    return page(
        request,
        "sla.html",
        {"policies": policies, **_sla_choices(db, actor)},
        form,
        values={"priority": "100", "resolution_unit": PeriodUnit.days.value},
    )


@router.get("/sla")
def sla_list(request: Request, db: DbSession, actor: AdminActor) -> Response:
    """The deadline policies in the order they are tried, with the form to add one."""
    return _sla_page(request, db, actor)


@router.post("/sla")
def sla_create(request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Add a deadline policy."""
    form = Form(request, values)
    fields = _sla_fields(form, _sla_choices(db, actor))
    if form.ok:
        try:
            deadline_actions.create_sla_policy(db, actor=actor, org_id=actor.org_id or 0, **fields)
        except InvalidInput as exc:
            form.refused(exc)
    if not form.ok:
        return _sla_page(request, db, actor, form)
    return done(request, "/staff/admin/sla", "admin.saved.sla", name=fields["name"])


def _sla_values(policy: SlaPolicy) -> dict[str, str]:
    return {
        "name": policy.name,
        "priority": str(policy.priority),
        "enabled": "1" if policy.enabled else "",
        "channel": policy.channel.value if policy.channel else "",
        "category_id": str(policy.category_id or ""),
        "department_id": str(policy.department_id or ""),
        "complaint_type": policy.complaint_type or "",
        "resolution_value": str(policy.resolution_value or ""),
        "resolution_unit": policy.resolution_unit.value if policy.resolution_unit else "",
        "first_response_minutes": str(policy.first_response_minutes or ""),
        "answer_target_minutes": str(policy.answer_target_minutes or ""),
    }


@router.get("/sla/{policy_id}")
def sla_edit(policy_id: int, request: Request, db: DbSession, actor: AdminActor) -> Response:
    """The edit form of one policy."""
    policy = own_row(db, SlaPolicy, policy_id, actor)
    context = {"policy": policy, **_sla_choices(db, actor)}
    return page(request, "sla_edit.html", context, values=_sla_values(policy))


@router.post("/sla/{policy_id}")
def sla_update(policy_id: int, request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Save a policy (cases received from now on use it)."""
    policy = own_row(db, SlaPolicy, policy_id, actor)
    choices = _sla_choices(db, actor)
    form = Form(request, values)
    fields = _sla_fields(form, choices)
    if form.ok:
        try:
            deadline_actions.update_sla_policy(
                db, actor=actor, policy_id=policy.id, enabled=form.checkbox("enabled"), **fields
            )
        except InvalidInput as exc:
            form.refused(exc)
    if not form.ok:
        return page(request, "sla_edit.html", {"policy": policy, **choices}, form)
    return done(request, "/staff/admin/sla", "admin.saved.sla", name=fields["name"])


# --------------------------------------------------------------------------------------------- calendar


def _hours_values(org: Organisation) -> dict[str, str]:
    def fmt(value: dt.time | None) -> str:
        return value.strftime("%H:%M") if value is not None else ""

    return {
        "work_start": fmt(org.work_start),
        "work_end": fmt(org.work_end),
        "lunch_start": fmt(org.lunch_start),
        "lunch_end": fmt(org.lunch_end),
    }


def _calendar_page(request: Request, db: Session, actor: Actor, form: Form | None = None) -> Response:
    org = _own_org(db, actor)
    closures = list(db.scalars(select(ClosureDay).where(ClosureDay.org_id == org.id).order_by(ClosureDay.day)))
    today = _today(org)
    values = _hours_values(org)
    if form is not None:
        form.values = {**values, **form.values}
    return page(
        request,
        "calendar.html",
        {
            "org": org,
            "upcoming": [c for c in closures if c.day >= today],
            "past": [c for c in closures if c.day < today],
            "today": today,
        },
        form,
        values=values,
    )


def _own_org(db: Session, actor: Actor) -> Organisation:
    org = db.get(Organisation, actor.org_id) if actor.org_id is not None else None
    if org is None:
        raise NotFound("no such organisation")
    return org


def _today(org: Organisation) -> dt.date:
    return utcnow().astimezone(ZoneInfo(org.timezone)).date()


@router.get("/calendar")
def calendar(request: Request, db: DbSession, actor: AdminActor) -> Response:
    """Business hours and closure days."""
    return _calendar_page(request, db, actor)


@router.post("/calendar/hours")
def calendar_hours(request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Save business hours and lunch break (deadlines computed from now on use them)."""
    form = Form(request, values)
    start = form.time("work_start", required=True)
    end = form.time("work_end", required=True)
    lunch_start = form.time("lunch_start")
    lunch_end = form.time("lunch_end")
    if form.ok and start is not None and end is not None:
        if start >= end:
            form.error("work_end", "hours_order")
        elif (lunch_start is None) != (lunch_end is None):
            form.error("lunch_end" if lunch_end is None else "lunch_start", "lunch_pair")
        elif lunch_start is not None and lunch_end is not None and not (start <= lunch_start < lunch_end <= end):
            form.error("lunch_start", "lunch_inside")
    if form.ok and start is not None and end is not None:
        try:
            deadline_actions.update_business_hours(
                db,
                actor=actor,
                org_id=actor.org_id or 0,
                work_start=start,
                work_end=end,
                lunch_start=lunch_start,
                lunch_end=lunch_end,
            )
        except InvalidInput as exc:
            form.refused(exc)
    if not form.ok:
        return _calendar_page(request, db, actor, form)
    return done(request, "/staff/admin/calendar", "admin.saved.hours")


@router.post("/calendar/closures")
def closure_add(request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Close the organisation on a day (the national public holidays are built in)."""
    form = Form(request, values)
    day = form.date("day", required=True)
    reason = form.text("reason", required=True, max_length=200)
    org = _own_org(db, actor)
    if day is not None and day < _today(org):
        # Deadlines already computed never move back; a past closure day would only mislead.
        form.error("day", "closure_past")
    if form.ok and day is not None and reason is not None:
        try:
            deadline_actions.add_closure_day(db, actor=actor, org_id=org.id, day=day, reason=reason)
        except InvalidInput as exc:
            form.refused(exc)
    if not form.ok:
        return _calendar_page(request, db, actor, form)
    return done(request, "/staff/admin/calendar", "admin.saved.closure", day=day.isoformat() if day else "")


@router.post("/calendar/closures/{closure_id}/delete")
def closure_remove(closure_id: int, request: Request, db: DbSession, actor: AdminActor) -> Response:
    """Open again on a closed day."""
    closure = own_row(db, ClosureDay, closure_id, actor)
    day = closure.day.isoformat()
    deadline_actions.remove_closure_day(db, actor=actor, closure_id=closure.id)
    return done(request, "/staff/admin/calendar", "admin.saved.closure_removed", day=day)
