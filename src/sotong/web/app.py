"""Assembling the web application: `uvicorn sotong.web.app:create_app --factory`.

Fixed paths other parts and tools rely on:
  /                 public portal (sotong.portal.views); /report the complaint form (sotong.channels.webform)
  /staff/           staff console (sotong.console.views, log-in in sotong.web.auth)
  /api/v1/          JSON API (sotong.cases.api), docs at /api/v1/docs, schema at /api/v1/openapi.json
  /healthz          health check
  /static/          our own CSS and JS (nothing is loaded from a CDN)
  /hooks/<channel>/<account_id>  channel webhooks (sotong.channels.hooks), one folder per channel
  /open311/v2/      Open311 GeoReport v2 (sotong.channels.open311), discovery at /open311/discovery.{json,xml}
"""

from __future__ import annotations

import gc
import threading
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sotong import __version__, schema, wiring
from sotong.db import get_engine, session_factory
from sotong.portal.pagecache import PageCache, PageCacheMiddleware
from sotong.settings import Settings, get_settings
from sotong.web import errors
from sotong.web.auth import csrf_protect
from sotong.web.templating import STATIC_DIR

API_PREFIX = "/api/v1"
SESSION_COOKIE = "sotong_session"

# Pages are ours alone: no inline scripts, no framing, no third-party origins.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
}


class SecurityHeadersMiddleware:
    """SECURITY_HEADERS on every response, and no-store on staff and API responses.

    Plain ASGI rather than `@app.middleware("http")`: that wrapper runs each request through an extra task and
    memory stream, a cost every portal page paid.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = scope["path"].startswith(("/staff", API_PREFIX))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if no_store:
                    headers.setdefault("Cache-Control", "no-store")  # staff data must not sit in shared caches
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The Sotong web application; tests pass their own settings and engine."""
    wiring.install()
    settings = settings or get_settings()
    engine = engine or get_engine(settings.database_url)

    app = FastAPI(
        title="Sotong API",
        version=__version__,
        description="소통 Sotong: citizen complaints (민원) from every channel, answered on time, in public.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # our own page at /api/v1/docs: Swagger UI would load from a CDN
        redoc_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)

    # Innermost of the three: pages it replays still get the security headers and the session cookie.
    app.state.page_cache = PageCache.for_settings(settings)
    app.add_middleware(PageCacheMiddleware, cache=app.state.page_cache)
    app.add_middleware(SecurityHeadersMiddleware)

    # Wraps every handler and the middleware above, so they can all read request.session (only the queued-webhook
    # layer added below sits outside it: accepted webhooks need no session).
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    errors.install(app)

    from sotong.cases import api as cases_api
    from sotong.channels import admin_views as channels_admin
    from sotong.channels import hooks
    from sotong.channels.kakao import views as kakao_views
    from sotong.channels.naver import views as naver_views
    from sotong.channels.open311 import views as open311_views
    from sotong.channels.webform import views as webform_views
    from sotong.console import admin as console_admin
    from sotong.console import answers as answers_views
    from sotong.console import inbox as console_inbox
    from sotong.console import queue as console_queue
    from sotong.console import views as console_views
    from sotong.notes import views as notes_views
    from sotong.notifications import views as notifications_views
    from sotong.portal import opendata as portal_opendata
    from sotong.portal import views as portal_views
    from sotong.search import analysis
    from sotong.web import auth, docs

    app.include_router(cases_api.router, prefix=API_PREFIX)
    app.include_router(docs.router, prefix=API_PREFIX)
    app.include_router(auth.router)
    app.include_router(console_admin.router)
    # Before the console: its catch-all POST /staff/cases/{number}/{action} would take .../showcase.
    app.include_router(portal_views.staff_router)
    app.include_router(console_views.router)
    app.include_router(answers_views.router)
    app.include_router(console_inbox.router)
    app.include_router(console_queue.router)
    app.include_router(notes_views.router)
    app.include_router(notifications_views.router)
    app.include_router(portal_views.router)
    app.include_router(portal_opendata.router)
    app.include_router(webform_views.router)
    app.include_router(channels_admin.router)
    # Kakao and Naver before the generic /hooks/{channel}/{account_id}: same paths, channel-specific answers.
    app.include_router(kakao_views.router)
    app.include_router(naver_views.router)
    app.include_router(hooks.router)
    # Outermost layer: accepted queued webhooks skip the session, CSRF and page machinery (channels/hooks.py).
    app.add_middleware(hooks.QueuedWebhooks)
    app.include_router(open311_views.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        """Liveness and readiness: database reachable and schema at the newest migration."""
        report: dict[str, Any] = {"version": __version__, "database": False, "schema_current": False}
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            report["database"] = True
            report["schema_current"] = schema.is_current(engine)
        except Exception as exc:  # a health check reports failures, it does not raise them
            report["error"] = type(exc).__name__
        healthy = report["database"] and report["schema_current"]
        report["status"] = "ok" if healthy else "degraded"
        return JSONResponse(report, status_code=200 if healthy else 503)

    if settings.env == "production":
        # A fresh process would load kiwipiepy on its first intake (seconds; Kakao wants an answer within 5 s):
        # load it beside the start-up instead. Off the request path, and harmless if a request gets there first.
        threading.Thread(target=analysis.warm, name="warm-analyser", daemon=True).start()
        # What is loaded by now (models, routes, scikit-learn) lives as long as the process: kept out of the
        # collector's full passes, which otherwise stall every request of the worker for 0.3-0.5 s at a time.
        gc.collect()
        gc.freeze()
    return app
