"""Retention (/staff/admin/retention): how long the organisation keeps personal data, and the last purges."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.console.admin.common import done, page, router
from sotong.console.admin.forms import AdminActor, Form, FormData
from sotong.errors import InvalidInput
from sotong.orgs.service import organisation
from sotong.retention import actions
from sotong.retention.models import RetentionRun
from sotong.retention.policy import PERIODS, periods_of
from sotong.web.deps import DbSession

RUNS_SHOWN = 5


def _retention_page(request: Request, db: Session, actor: Actor, form: Form | None = None) -> Response:
    periods = periods_of(db, actor.org_id or 0)
    runs = list(
        db.scalars(
            select(RetentionRun)
            .where(RetentionRun.dry_run.is_(False))
            .order_by(RetentionRun.started_at.desc(), RetentionRun.id.desc())
            .limit(RUNS_SHOWN)
        )
    )
    return page(
        request,
        "retention.html",
        {
            "periods": PERIODS,
            "customised": periods.customised,
            "runs": runs,
            "slug": organisation(db, actor.org_id or 0).slug,
        },
        form,
        values={name: str(value) for name, value in periods.as_dict().items()},
    )


@router.get("/retention")
def retention_settings(request: Request, db: DbSession, actor: AdminActor) -> Response:
    """The organisation's retention periods (the defaults until changed) and the last purges."""
    return _retention_page(request, db, actor)


@router.post("/retention")
def retention_save(request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Change the retention periods."""
    form = Form(request, values)
    chosen = {
        name: form.integer(name, required=True, minimum=period.minimum, maximum=period.maximum)
        for name, period in PERIODS.items()
    }
    if form.ok:
        try:
            actions.set_periods(
                db, actor=actor, org_id=actor.org_id or 0, periods={k: v for k, v in chosen.items() if v is not None}
            )
        except InvalidInput as exc:
            form.refused(exc)
    if not form.ok:
        return _retention_page(request, db, actor, form)
    return done(request, "/staff/admin/retention", "retention.saved")
