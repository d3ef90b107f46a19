"""The administration index and the log of set-up changes (organisation-level audit events: no case)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, select

from sotong.audit.models import AuditEvent
from sotong.console.admin.common import page, router
from sotong.console.admin.forms import AdminActor
from sotong.orgs.models import Category, ClosureDay, Department, SlaPolicy, User
from sotong.triage.models import RoutingRule
from sotong.web.deps import DbSession

AUDIT_PAGE_SIZE = 50
SECTIONS = ("departments", "users", "categories", "rules", "sla", "calendar", "audit")


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
    return page(request, "index.html", {"sections": SECTIONS, "counts": counts})


@router.get("/audit")
def audit_log(request: Request, db: DbSession, actor: AdminActor) -> Response:
    """Who changed the organisation's set-up, when, and the values before and after; newest first."""
    try:
        page_number = max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        page_number = 1
    # Read through the (org_id, at) index; case events have their own timeline on the case page.
    query = (
        select(AuditEvent)
        .where(AuditEvent.org_id == actor.org_id, AuditEvent.case_id.is_(None))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page_number - 1) * AUDIT_PAGE_SIZE)
        .limit(AUDIT_PAGE_SIZE + 1)
    )
    events = list(db.scalars(query))
    has_next = len(events) > AUDIT_PAGE_SIZE
    events = events[:AUDIT_PAGE_SIZE]
    return page(
        request,
        "audit.html",
        {
            "events": events,
            "changes": {e.id: changes(e) for e in events},
            "page": page_number,
            "has_next": has_next,
        },
    )


def changes(event: AuditEvent) -> list[dict[str, Any]]:
    """The fields an event changed, each with its value before and after (unchanged fields left out)."""
    before, after = event.before or {}, event.after or {}
    rows = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        if key in before and key in after and old == new:
            continue
        rows.append({"field": key, "before": old, "after": new})
    for key, value in (event.details or {}).items():
        rows.append({"field": key, "before": None, "after": value, "detail": True})
    return rows
