"""Staff log-in and log-out pages (throttled, audited: orgs/auth.py)."""

from __future__ import annotations

import time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from sotong.actors import Actor
from sotong.errors import LoginThrottled
from sotong.i18n import translate
from sotong.orgs import auth as auth_actions
from sotong.orgs import twofactor
from sotong.orgs.actions import twofactor as twofactor_actions
from sotong.orgs.auth import LoginFailed
from sotong.orgs.models import User
from sotong.web.csrf import verify_csrf
from sotong.web.deps import AppSettings, DbSession, StaffActor, optional_user
from sotong.web.session import (
    csrf_token,
    end_user_session,
    pending_matches,
    pending_user_id,
    start_pending_session,
    start_user_session,
)
from sotong.web.templating import render, request_language

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only paths on this site: "//evil.example" and "https://..." would turn the log-in into an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/staff/"


@router.get("/staff/login")
def login_form(request: Request, db: DbSession, next: str | None = None) -> Response:
    """The log-in form (sets the session's CSRF token)."""
    if optional_user(request, db) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    csrf_token(request)
    return render(request, "login.html", {"next": _safe_next(next), "username": ""})


@router.post("/staff/login", dependencies=[Depends(verify_csrf)])
def login_submit(
    request: Request,
    db: DbSession,
    settings: AppSettings,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/staff/",
) -> Response:
    """Check the credentials (throttled), start the session and go where the user was heading."""
    ip = request.client.host if request.client else "unknown"
    try:
        user = auth_actions.login(
            db,
            username=username,
            password=password,
            ip=ip,
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
        )
    except (LoginFailed, LoginThrottled) as exc:
        lang = request_language(request)
        key = "login.throttled" if isinstance(exc, LoginThrottled) else "login.failed"
        context = {"next": _safe_next(next), "username": username, "error": translate(lang, key)}
        response = render(request, "login.html", context, status_code=exc.http_status)
        if isinstance(exc, LoginThrottled):
            response.headers["Retry-After"] = str(settings.login_window_seconds)
        return response
    if auth_actions.needs_second_factor(db, user):
        start_pending_session(request, user, now=time.time())
        step = "code" if user.totp_enabled else "enrol"
        return RedirectResponse(f"/staff/login/{step}?next={quote(_safe_next(next), safe='')}", status_code=303)
    start_user_session(request, user)
    return RedirectResponse(_safe_next(next), status_code=303)


def _pending_user(request: Request, db: DbSession) -> User | None:
    user_id = pending_user_id(request, now=time.time())
    user = auth_actions.active_user(db, user_id) if user_id is not None else None
    return user if user is not None and pending_matches(request, user) else None


def _second_factor_page(
    request: Request, db: DbSession, user: User, *, step: str, next: str, error: str | None = None, status: int = 200
) -> Response:
    context: dict[str, object] = {
        "step": step,
        "next": _safe_next(next),
        "error": error,
        "action": f"/staff/login/{step}",
    }
    if step == "enrol":
        # The secret being enrolled is shown again until it is confirmed (the phone may have it already).
        secret = twofactor.secret_of(user) or twofactor_actions.begin_enrolment(
            db, actor=Actor.for_user(user), user_id=user.id
        )
        context |= {"secret": secret, "qr": Markup(twofactor.qr_svg(twofactor.provisioning_uri(user, secret)))}
    return render(request, "staff/two_factor.html", context, status_code=status)


@router.get("/staff/login/{step}")
def second_factor_form(step: str, request: Request, db: DbSession, next: str | None = None) -> Response:
    """After the password: the TOTP code form, or (required but not yet set up) the enrolment with its QR code."""
    user = _pending_user(request, db)
    if user is None or step not in ("code", "enrol") or (step == "code") != user.totp_enabled:
        return RedirectResponse("/staff/login", status_code=303)
    return _second_factor_page(request, db, user, step=step, next=next or "/staff/")


@router.post("/staff/login/{step}", dependencies=[Depends(verify_csrf)])
def second_factor_submit(
    step: str,
    request: Request,
    db: DbSession,
    settings: AppSettings,
    code: Annotated[str, Form(max_length=40)],
    next: Annotated[str, Form()] = "/staff/",
) -> Response:
    """Check the code, or a recovery code (throttled like passwords), then open the session."""
    user = _pending_user(request, db)
    if user is None or step not in ("code", "enrol"):
        return RedirectResponse("/staff/login", status_code=303)
    ip = request.client.host if request.client else "unknown"
    try:
        user = auth_actions.second_factor(
            db,
            user_id=user.id,
            code=code,
            ip=ip,
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
            enrolling=step == "enrol",
        )
    except (LoginFailed, LoginThrottled) as exc:
        lang = request_language(request)
        key = "login.throttled" if isinstance(exc, LoginThrottled) else "security.two_factor.wrong_code"
        return _second_factor_page(
            request, db, user, step=step, next=next, error=translate(lang, key), status=exc.http_status
        )
    start_user_session(request, user)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/staff/logout")
def logout(request: Request, db: DbSession, actor: StaffActor) -> Response:
    """End the session (CSRF-checked by the app-wide dependency, since the request carries a session)."""
    auth_actions.logout(db, actor=actor)
    end_user_session(request)
    return RedirectResponse("/staff/login", status_code=303)
