"""Staff log-in and log-out pages (throttled, audited: orgs/auth.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from sotong.errors import LoginThrottled
from sotong.i18n import translate
from sotong.orgs import auth as auth_actions
from sotong.orgs.auth import LoginFailed
from sotong.web.csrf import verify_csrf
from sotong.web.deps import AppSettings, DbSession, StaffActor, optional_user
from sotong.web.session import csrf_token, end_user_session, start_user_session
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
    start_user_session(request, user)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/staff/logout")
def logout(request: Request, db: DbSession, actor: StaffActor) -> Response:
    """End the session (CSRF-checked by the app-wide dependency, since the request carries a session)."""
    auth_actions.logout(db, actor=actor)
    end_user_session(request)
    return RedirectResponse("/staff/login", status_code=303)
