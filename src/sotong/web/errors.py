"""Turning errors into responses: JSON for the API, a friendly page for people, a redirect to log in."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import inspect
from sqlalchemy.exc import StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sotong.db import UnstorableValue
from sotong.errors import LoginThrottled, SotongError
from sotong.web.deps import NotAuthenticated
from sotong.web.error_text import error_text
from sotong.web.templating import render, request_language

API_PREFIX = "/api/"
SERVER_ERROR_PAGE = (
    '<!doctype html><html lang="ko"><meta charset="utf-8"><title>500</title>'
    "<h1>일시적인 오류가 발생했습니다 / Something went wrong</h1>"
    '<p><a href="/">소통 Sotong</a></p></html>'
)


def is_api(request: Request) -> bool:
    """Whether the request is for the JSON API (errors as JSON) rather than a page."""
    return request.url.path.startswith(API_PREFIX)


def _page(request: Request, status: int, message: str) -> Response:
    user = getattr(request.state, "user", None)
    if user is None or not inspect(user).detached:
        return render(request, "error.html", {"status": status, "message": message}, status_code=status)
    # The error left the route through its database session, which rolled back and closed: the staff user the
    # menu shows was expired and detached (a DetachedInstanceError, i.e. a 500 instead of this page). Read it
    # again in a session of the page's own, the menu's reads included.
    with request.app.state.sessions() as session:
        request.state.user = session.merge(user)
        request.state.db = session
        return render(request, "error.html", {"status": status, "message": message}, status_code=status)


def _validation_reason(errors: list[Any]) -> str:
    parts = []
    for error in errors:
        location = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "form"))
        parts.append(f"{location}: {error.get('msg', 'invalid')}" if location else str(error.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


async def sotong_error(request: Request, exc: Exception) -> Response:
    """A domain error: its own status and code."""
    assert isinstance(exc, SotongError)
    headers = (
        {"Retry-After": str(exc.extra.get("retry_after_seconds", 60))} if isinstance(exc, LoginThrottled) else None
    )
    if is_api(request):
        return JSONResponse(exc.as_dict(), status_code=exc.http_status, headers=headers)
    return _page(request, exc.http_status, error_text(exc, request_language(request)))


async def not_authenticated(request: Request, exc: Exception) -> Response:
    """401 for the API; a redirect to the log-in form, coming back here afterwards, for pages."""
    assert isinstance(exc, NotAuthenticated)
    if is_api(request):
        headers = {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{exc.reason}"'}
        if exc.code == "not_authenticated":
            headers = {"WWW-Authenticate": 'Bearer realm="sotong"'}
        return JSONResponse({"error": exc.code, "detail": exc.reason}, status_code=401, headers=headers)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/staff/login?next={quote(target, safe='')}", status_code=303)


async def validation_error(request: Request, exc: Exception) -> Response:
    """422 with every field that is wrong, spelled out."""
    assert isinstance(exc, RequestValidationError)
    reason = _validation_reason(list(exc.errors()))
    if is_api(request):
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
        return JSONResponse({"error": "invalid_input", "detail": reason, "errors": errors}, status_code=422)
    return _page(request, 422, reason)


async def http_error(request: Request, exc: Exception) -> Response:
    """Framework errors (unknown path, wrong method) in the same shapes as ours."""
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "error"
    if is_api(request):
        code = "not_found" if exc.status_code == 404 else "http_error"
        return JSONResponse({"error": code, "detail": detail}, status_code=exc.status_code, headers=exc.headers)
    return _page(request, exc.status_code, detail)


async def unstorable_value(request: Request, exc: Exception) -> Response:
    """A NUL character or a 20-digit number that got past the guard and the parameter checks: bad input, not a bug."""
    if isinstance(exc, StatementError):  # SQLAlchemy wraps what a column type raised while binding
        if not isinstance(exc.orig, UnstorableValue):
            return await server_error(request, exc)
        exc = exc.orig
    reason = str(exc)
    if is_api(request):
        return JSONResponse({"error": "invalid_input", "detail": reason}, status_code=400)
    return _page(request, 400, reason)


async def server_error(request: Request, exc: Exception) -> Response:
    """A bug: a plain apology, no traceback (the server log has it)."""
    # This runs outside the session middleware: no session, so no template with a CSRF token or flashes.
    if is_api(request):
        return JSONResponse({"error": "server_error", "detail": "internal error"}, status_code=500)
    return HTMLResponse(SERVER_ERROR_PAGE, status_code=500)


def install(app: FastAPI) -> None:
    """Register every handler on the app."""
    app.add_exception_handler(Exception, server_error)
    app.add_exception_handler(SotongError, sotong_error)
    app.add_exception_handler(UnstorableValue, unstorable_value)
    app.add_exception_handler(StatementError, unstorable_value)
    app.add_exception_handler(NotAuthenticated, not_authenticated)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
