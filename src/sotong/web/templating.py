"""Rendering server-side pages: one Jinja2 environment shared by the portal and the console."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm.exc import DetachedInstanceError

from sotong import __version__
from sotong.cases.status import status_label
from sotong.i18n import LANGUAGES, choose_language, translate, translator
from sotong.settings import Settings
from sotong.web.session import LANG_KEY, csrf_token, pop_flashes

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def request_language(request: Request) -> str:
    """The language of this request (see i18n.choose_language); a ?lang= choice is remembered in the session."""
    cached = getattr(request.state, "lang", None)
    if cached:
        return str(cached)
    settings: Settings = request.app.state.settings
    query = request.query_params.get("lang")
    if query in LANGUAGES:
        request.session[LANG_KEY] = query
    user = getattr(request.state, "user", None)
    user_pref = None
    if user is not None:
        try:
            user_pref = user.language
        except DetachedInstanceError:  # an error page after the request's session rolled back
            user_pref = None
    lang = choose_language(
        query=query,
        stored=request.session.get(LANG_KEY),
        user_pref=user_pref,
        accept=request.headers.get("accept-language"),
        default=settings.default_language,
    )
    request.state.lang = lang
    return lang


def _url_with(request: Request, **changes: Any) -> str:
    """This page's path and query with some parameters replaced (None drops one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


class _LazyCsrfToken:
    """The session's CSRF token, made when a page prints it: a page without a form leaves an anonymous
    visitor's session empty (no cookie to sign, and the page may be shared from the page cache)."""

    __slots__ = ("_request",)

    def __init__(self, request: Request) -> None:
        self._request = request

    def __str__(self) -> str:
        return csrf_token(self._request)

    def __html__(self) -> str:
        return csrf_token(self._request)  # URL-safe base64: nothing to escape


def actor_name(kind: str, label: str, lang: str) -> str:
    """Who did something, as a person reads it: a user's name, else what acted ("민원인", "자동 처리"), never the
    stored code ("citizen", "worker", "auto-assign (round_robin)")."""
    if kind == "user":
        return label
    if kind == "token":  # an API token: its prefix and name, as the admin named it
        return f"{translate(lang, 'actor.token')} {label}"
    if label.startswith("login:"):  # a failed log-in: the name that was typed
        return label.removeprefix("login:")
    key = "actor.auto_assign" if label.startswith("auto-assign") else f"actor.{kind}"
    text = translate(lang, key)
    return text if text != key else translate(lang, "actor.system")


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    """Render template `name` with the helpers every page uses (t, language switch, CSRF token, flashes)."""
    settings: Settings = request.app.state.settings
    lang = request_language(request)
    tz = ZoneInfo(settings.timezone)

    def local(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(tz).strftime(fmt) if value is not None else ""

    other = "en" if lang == "ko" else "ko"
    page = {
        "request": request,
        "lang": lang,
        "t": translator(lang),
        "switch_lang": other,
        "switch_lang_url": _url_with(request, lang=other),
        "url_with": lambda **changes: _url_with(request, **changes),
        "status_label": lambda status: status_label(status, lang),
        "actor_name": lambda event: actor_name(event.actor_kind, event.actor_label, lang),
        "local": local,
        "csrf_token": _LazyCsrfToken(request),
        "flashes": pop_flashes(request),
        "user": getattr(request.state, "user", None),
        "version": __version__,
        **(context or {}),
    }
    response: HTMLResponse = templates.TemplateResponse(request, name, page, status_code=status_code)
    return response
