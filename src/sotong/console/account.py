"""A staff member's own security page (/staff/account/security): two-factor sign-in turned on voluntarily (a QR
code, then a code to confirm it), recovery codes (shown once, replaced with a code), and turning it off with the
password and a code. Every change is an audited action (orgs/actions/twofactor.py, orgs/auth.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from sotong.actors import Actor
from sotong.errors import InvalidInput, LoginThrottled, SotongError
from sotong.i18n import translate
from sotong.orgs import auth, twofactor
from sotong.orgs.actions import twofactor as twofactor_actions
from sotong.orgs.auth import LoginFailed
from sotong.orgs.models import User
from sotong.orgs.service import organisation
from sotong.web.deps import AppSettings, CurrentUser, DbSession
from sotong.web.error_text import error_text
from sotong.web.session import flash
from sotong.web.templating import render, request_language

router = APIRouter(include_in_schema=False)
PAGE = "/staff/account/security"


def _page(
    request: Request,
    db: DbSession,
    user: User,
    *,
    codes: list[str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context: dict[str, object] = {
        "enabled": user.totp_enabled,
        "required": organisation(db, user.org_id).require_two_factor,
        "codes": codes,
        "error": error,
        "unused": twofactor_actions.unused_recovery_codes(db, user.id) if user.totp_enabled else 0,
        "secret": None,
    }
    secret = twofactor.secret_of(user)
    if not user.totp_enabled and secret is not None:  # an enrolment under way: its QR code until confirmed
        context |= {"secret": secret, "qr": Markup(twofactor.qr_svg(twofactor.provisioning_uri(user, secret)))}
    return render(request, "staff/account_security.html", context, status_code=status)


def _refusal(request: Request, exc: SotongError) -> str:
    lang = request_language(request)
    if isinstance(exc, LoginThrottled):
        return translate(lang, "login.throttled")
    if isinstance(exc, LoginFailed):
        return translate(lang, "account.security.wrong_password_or_code")
    key = f"admin.error.{exc.extra.get('code')}"
    text = translate(lang, key)
    return text if text != key else error_text(exc, lang)


@router.get(PAGE)
def security_page(request: Request, db: DbSession, user: CurrentUser) -> Response:
    """Whether two-factor sign-in is on, with what can be done about it."""
    return _page(request, db, user)


@router.post(f"{PAGE}/start")
def start(request: Request, db: DbSession, user: CurrentUser) -> Response:
    """Make a new secret for the user's authenticator app (in use once a code from it is typed)."""
    try:
        twofactor_actions.begin_enrolment(db, actor=Actor.for_user(user), user_id=user.id)
    except InvalidInput as exc:
        return _page(request, db, user, error=_refusal(request, exc), status=exc.http_status)
    return RedirectResponse(PAGE, status_code=303)


@router.post(f"{PAGE}/enrol")
def enrol(request: Request, db: DbSession, user: CurrentUser, code: Annotated[str, Form(max_length=20)]) -> Response:
    """Confirm the new secret with a code from it; two-factor sign-in is on, and the first recovery codes shown."""
    actor = Actor.for_user(user)
    try:
        twofactor_actions.confirm_enrolment(db, actor=actor, user_id=user.id, code=code)
    except InvalidInput as exc:
        db.rollback()
        return _page(request, db, user, error=_refusal(request, exc), status=exc.http_status)
    codes = twofactor_actions.new_recovery_codes(db, actor=actor, user_id=user.id)
    return _page(request, db, user, codes=codes)


@router.post(f"{PAGE}/recovery-codes")
def recovery_codes(
    request: Request, db: DbSession, user: CurrentUser, code: Annotated[str, Form(max_length=20)]
) -> Response:
    """A new set of recovery codes (the old ones stop working), with a current code from the phone."""
    try:
        codes = twofactor_actions.new_recovery_codes(db, actor=Actor.for_user(user), user_id=user.id, code=code)
    except InvalidInput as exc:
        db.rollback()
        return _page(request, db, user, error=_refusal(request, exc), status=exc.http_status)
    return _page(request, db, user, codes=codes)


@router.post(f"{PAGE}/disable")
def disable(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    user: CurrentUser,
    password: Annotated[str, Form(max_length=1000)],
    code: Annotated[str, Form(max_length=40)],
) -> Response:
    """Turn two-factor sign-in off, with the password and a code (refused where the organisation requires it)."""
    try:
        auth.disable_two_factor(
            db,
            user_id=user.id,
            password=password,
            code=code,
            ip=request.client.host if request.client else "unknown",
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
        )
    except (InvalidInput, LoginFailed, LoginThrottled) as exc:
        db.rollback()
        return _page(request, db, user, error=_refusal(request, exc), status=exc.http_status)
    flash(request, "success", translate(request_language(request), "account.security.disabled"))
    return RedirectResponse(PAGE, status_code=303)
