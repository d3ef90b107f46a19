"""The administration index and the log of set-up changes (organisation-level audit events: no case)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases.deadlines.models import ClosureDay, SlaPolicy
from sotong.console.admin.common import done, page, router
from sotong.console.admin.forms import AdminActor, FormData
from sotong.i18n import translate
from sotong.orgs import actions as org_actions
from sotong.orgs.models import Category, Department, Organisation, User
from sotong.triage.models import RoutingRule
from sotong.web.deps import DbSession
from sotong.web.templating import request_language

AUDIT_PAGE_SIZE = 50
SECTIONS = ("departments", "users", "categories", "rules", "sla", "calendar", "tokens", "retention", "audit")


@router.get("")
@router.get("/")
def index(request: Request, db: DbSession, actor: AdminActor) -> Response:
    """Links to every section, with how many rows each holds."""
    counts: dict[str, int] = {}
    for section, model in (
        ("departments", Department),
        ("users", User),
        ("categories", Category),
        ("rules", RoutingRule),
        ("sla", SlaPolicy),
        ("calendar", ClosureDay),
    ):
        counts[section] = db.scalar(select(func.count()).select_from(model).where(model.org_id == actor.org_id)) or 0
    org = db.get(Organisation, actor.org_id)
    timezone = org.timezone if org is not None else ""
    return page(request, "index.html", {"sections": SECTIONS, "counts": counts, "timezone": timezone, "org": org})


@router.post("/publication")
def publication(request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """The organisation's publication settings: automatic release when triage is sure, signed public answers."""
    org_actions.set_publication(
        db,
        actor=actor,
        org_id=actor.org_id or 0,
        auto_release=values.get("auto_release") == "true",
        sign_answers=values.get("sign_answers") == "true",
    )
    return done(request, "/staff/admin", "admin.saved.publication")


# The log's filter: an area of the set-up and the action names that belong to it.
AREAS: dict[str, tuple[str, ...]] = {
    "departments": ("department.",),
    "users": (
        "user.created",
        "user.updated",
        "user.role_changed",
        "user.activated",
        "user.deactivated",
        "user.password_reset",
        "user.password_changed",
        "user.on_duty",
    ),
    "logins": ("user.login", "user.logout"),
    "categories": ("category.",),
    "rules": ("triage.rule_",),
    "sla": ("sla_policy.",),
    "calendar": ("org.hours_changed", "closure_day."),
    "channels": ("channel_account.",),
    "tokens": ("api_token.",),
    "retention": ("retention.",),
}


@router.get("/audit")
def audit_log(request: Request, db: DbSession, actor: AdminActor) -> Response:
    """Who changed the organisation's set-up, when, and the values before and after; newest first."""
    params = request.query_params
    try:
        page_number = max(1, int(params.get("page") or 1))
    except ValueError:
        page_number = 1
    area = params.get("area") if params.get("area") in AREAS else None
    # Read through the (org_id, at) index; case events have their own timeline on the case page.
    query = select(AuditEvent).where(AuditEvent.org_id == actor.org_id, AuditEvent.case_id.is_(None))
    if area is not None:
        query = query.where(
            or_(
                *(
                    AuditEvent.action.startswith(p) if p.endswith((".", "_")) else AuditEvent.action == p
                    for p in AREAS[area]
                )
            )
        )
    query = (
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page_number - 1) * AUDIT_PAGE_SIZE)
        .limit(AUDIT_PAGE_SIZE + 1)
    )
    events = list(db.scalars(query))
    has_next = len(events) > AUDIT_PAGE_SIZE
    events = events[:AUDIT_PAGE_SIZE]
    names = _names(db, actor.org_id)
    return page(
        request,
        "audit.html",
        {
            "events": events,
            "changes": {e.id: changes(e, names, lang=request_language(request)) for e in events},
            "page": page_number,
            "has_next": has_next,
            "areas": list(AREAS),
            "area": area or "",
        },
    )


def _names(db: Session, org_id: int | None) -> dict[str, dict[Any, str]]:
    """Names for the ids events store, so the log reads "도로과" rather than "department_id: 4"."""

    def pairs(query: Any) -> dict[Any, str]:
        return {row_id: name for row_id, name in db.execute(query)}

    return {
        "department_id": pairs(select(Department.id, Department.name).where(Department.org_id == org_id)),
        "category_id": pairs(select(Category.id, Category.name).where(Category.org_id == org_id)),
        "user_id": pairs(select(User.id, User.username).where(User.org_id == org_id)),
        "target_org_id": pairs(select(Organisation.id, Organisation.name)),
    }


# Stored codes the catalogue has words for, looked up in this order ("days" is 일, "officer" 담당자, ...).
VALUE_KEYS = ("type.{}", "unit.{}", "role.{}", "channel.{}", "status.{}", "queue.policy_{}")


def changes(
    event: AuditEvent, names: dict[str, dict[Any, str]] | None = None, *, lang: str | None = None
) -> list[dict[str, Any]]:
    """What an event changed: each field with its value before and after (unchanged fields left out).

    A creation (nothing before) lists only the values it set; ids are shown with their names; with `lang`,
    yes/no and the codes the catalogue knows (complaint types, units, roles...) in words.
    """
    names = names or {}

    def show(field: str, value: Any) -> Any:
        if lang is not None:
            if isinstance(value, bool):
                return translate(lang, "form.yes" if value else "form.no")
            if isinstance(value, str) and value.isidentifier():
                for pattern in VALUE_KEYS:
                    key = pattern.format(value)
                    if translate(lang, key) != key:
                        return translate(lang, key)
        # Lists (a template's required elements) and objects are stored as JSON: shown as text, never looked up.
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        if isinstance(value, dict):
            return ", ".join(f"{k}: {v}" for k, v in value.items())
        known = names.get(field, {})
        return f"{known[value]} (#{value})" if value in known else value

    before, after = event.before or {}, event.after or {}
    rows = []
    created = not before
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        if key in before and key in after and old == new:
            continue
        if created and (new is None or key == "id"):
            continue
        rows.append({"field": key, "before": show(key, old), "after": show(key, new), "detail": created})
    for key, value in (event.details or {}).items():
        rows.append({"field": key, "before": None, "after": show(key, value), "detail": True})
    if lang is not None:
        for row in rows:  # the field by its label where the catalogue has one
            for pattern in ("admin.field.{}", "admin.audit.field.{}"):
                label = translate(lang, pattern.format(row["field"]))
                if label != pattern.format(row["field"]):
                    row["field"] = label
                    break
    return rows
