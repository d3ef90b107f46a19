"""The staff notification list (/staff/notifications): read, mark read, choose e-mail copies; admins set the
organisation's messenger webhook. Also the unread count shown in the staff menu."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from sotong.actors import Role
from sotong.cases import service as case_service
from sotong.errors import NotFound, PermissionDenied, SotongError
from sotong.i18n import translate
from sotong.notifications import service
from sotong.web.deps import AppSettings, CurrentUser, DbSession, StaffActor
from sotong.web.error_text import error_text
from sotong.web.session import flash
from sotong.web.templating import render, request_language, templates

router = APIRouter(prefix="/staff", include_in_schema=False)

PAGE_SIZE = 50


MENU_LIMIT = 99  # the badge reads "99+" beyond


def unread_for(request: Request) -> str:
    """The logged-in user's unread count as the menu's badge shows it ("" for none or when logged out)."""
    user = getattr(request.state, "user", None)
    if user is None:
        return ""
    session = getattr(request.state, "db", None)
    if session is not None:  # the request's own session and connection
        count = service.unread_count(session, user_id=user.id, limit=MENU_LIMIT)
    else:
        with request.app.state.sessions() as own:
            count = service.unread_count(own, user_id=user.id, limit=MENU_LIMIT)
    if count > MENU_LIMIT:
        return f"{MENU_LIMIT}+"
    return str(count) if count else ""


templates.env.globals["unread_notifications"] = unread_for


@router.get("/notifications")
def notifications_page(request: Request, db: DbSession, user: CurrentUser, settings: AppSettings) -> Response:
    """The user's notifications, newest first (unread marked), with the delivery preferences."""
    unread_only = request.query_params.get("unread") == "1"
    items = service.for_user(db, user_id=user.id, unread_only=unread_only, limit=PAGE_SIZE)
    numbers = case_service.case_numbers(db, {n.case_id for n in items if n.case_id is not None})
    hook = service.org_webhook(db, org_id=user.org_id) if user.role is Role.admin else None
    return render(
        request,
        "staff/notifications.html",
        {
            "items": items,
            "unread_only": unread_only,
            "case_numbers": numbers,
            "email_copies": service.preference(db, user_id=user.id),
            "email_available": bool(settings.smtp_host),
            "is_admin": user.role is Role.admin,
            "webhook": hook,
        },
    )


async def _run(request: Request, action: Callable[[], object], success_key: str) -> None:
    lang = request_language(request)
    try:
        await run_in_threadpool(action)
    except (NotFound, PermissionDenied):
        raise  # the error pages (404 / 403): a refusal is not a form mistake
    except SotongError as exc:
        flash(request, "error", error_text(exc, request_language(request)))
    else:
        flash(request, "success", translate(lang, success_key))


@router.post("/notifications/read")
async def mark_read(request: Request, db: DbSession, actor: StaffActor) -> Response:
    """Mark one notification (``id``) or all of them read."""
    form = await request.form()
    raw = str(form.get("id") or "")
    ids = [int(raw)] if raw.isdigit() else None
    await _run(request, lambda: service.mark_read(db, actor=actor, notification_ids=ids), "queue.marked_read")
    back = str(form.get("next") or "")
    # Only back into the console: an open redirect would let a link send staff anywhere.
    safe = back.startswith("/staff/") and "//" not in back and "\\" not in back
    return RedirectResponse(back if safe else "/staff/notifications", status_code=303)


@router.post("/notifications/preferences")
async def preferences(request: Request, db: DbSession, actor: StaffActor) -> Response:
    """In-app only, or e-mail copies too."""
    form = await request.form()
    email = str(form.get("email") or "") == "true"
    await _run(request, lambda: service.set_email_preference(db, actor=actor, email=email), "queue.prefs_saved")
    return RedirectResponse("/staff/notifications", status_code=303)


@router.post("/notifications/webhook")
async def webhook(request: Request, db: DbSession, actor: StaffActor, user: CurrentUser) -> Response:
    """An admin sets the organisation's messenger webhook (URL, secret, on/off)."""
    form = await request.form()
    url = str(form.get("url") or "")
    secret = str(form.get("secret") or "")
    enabled = str(form.get("enabled") or "") == "true"

    def run() -> None:
        service.set_org_webhook(db, actor=actor, org_id=user.org_id, url=url, secret=secret, enabled=enabled)

    await _run(request, run, "queue.webhook_saved")
    return RedirectResponse("/staff/notifications", status_code=303)
