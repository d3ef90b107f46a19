"""What a case sent its citizen, on the case page: each delivery's state, and the two things staff do about one
that failed or whose outcome is unknown (send it again, or mark it delivered by phone or another way).

The page reads through `cases.service`; the buttons call the outbox's actions (`outbox/actions.py`), reached only
through a case the user may see.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.cases import service
from sotong.cases.models import Case
from sotong.errors import SotongError
from sotong.i18n import Translator, translate, translator
from sotong.outbox import actions
from sotong.outbox.service import state_of
from sotong.web.csrf import CSRF_FIELD
from sotong.web.deps import DbSession, StaffActor
from sotong.web.session import flash
from sotong.web.templating import request_language

router = APIRouter(prefix="/staff", include_in_schema=False)


def label(t: Translator, prefix: str, value: str, fallback: str | None = None) -> str:
    """The catalogue's word for `value` under `prefix`, or `fallback` (a kind nobody named yet)."""
    key = f"{prefix}.{value}"
    text = t(key)
    return text if text != key else (fallback if fallback is not None else value)


def labels(lang: str) -> dict[str, Any]:
    """How a page names a delivery's state, kind and channel (the case page, the home page's list)."""
    t = translator(lang)
    return {
        "delivery_state": state_of,
        "delivery_kind": lambda kind: label(t, "delivery.kind", kind, t("delivery.kind.other")),
        "delivery_channel": lambda transport: label(t, "channel", transport),
    }


def case_page_context(db: Session, *, actor: Actor, case: Case, lang: str) -> dict[str, Any]:
    """The case page's deliveries section: the items, their states and labels, and whether this user may act."""
    return {
        "deliveries": service.case_deliveries(db, case_id=case.id),
        "can_settle_deliveries": actor.is_staff and actor.role in actions.ROLES,
        **labels(lang),
    }


@router.post("/cases/{number}/deliveries/{item_id}/{action}")
async def delivery_action(
    number: str, item_id: int, action: str, request: Request, db: DbSession, actor: StaffActor
) -> Response:
    """Send a delivery again, or mark it delivered another way; back to the case with a flash message."""
    form = await request.form()
    values = {k: v for k, v in form.items() if k != CSRF_FIELD and isinstance(v, str)}
    return await run_in_threadpool(_act, request, db, actor, number, item_id, action, values)


def _act(
    request: Request, db: Session, actor: Actor, number: str, item_id: int, action: str, values: dict[str, str]
) -> Response:
    lang = request_language(request)
    item = service.case_delivery(db, actor=actor, number=number, item_id=item_id)
    try:
        if action == "retry":
            actions.retry(db, actor=actor, item_id=item.id)
            flash(request, "success", translate(lang, "delivery.retried"))
        elif action == "resolve":
            actions.resolve(db, actor=actor, item_id=item.id, how=values.get("how", ""), note=values.get("note", ""))
            flash(request, "success", translate(lang, "delivery.resolved"))
        else:
            flash(request, "error", translate(lang, "flash.invalid", problems=action))
    except SotongError as exc:
        flash(request, "error", exc.message)
    return RedirectResponse(f"/staff/cases/{number}#delivery-{item.id}", status_code=303)
