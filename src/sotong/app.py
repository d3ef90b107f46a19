"""Assembling the web application: `uvicorn sotong.app:create_app --factory` (what `sotong serve` runs).

Fixed paths other parts and tools rely on, by audience:
  /                 public portal (portal/views.py); /report the complaint form (portal/report.py)
  /staff/           staff console (console/), log-in at /staff/login (console/login.py)
  /api/v1/          JSON API (api/cases.py), docs at /api/v1/docs, schema at /api/v1/openapi.json
  /hooks/<channel>/<account_id>  every platform's webhooks (api/hooks.py; channels/webhooks.py decides)
  /open311/v2/      Open311 GeoReport v2 (api/open311.py), discovery at /open311/discovery.{json,xml}
  /healthz          liveness (the process answers); /readyz readiness (database, schema, a recent worker)
  /metrics          Prometheus metrics (api/metrics.py: token or internal addresses only)
  /static/          our own CSS and JS (nothing is loaded from a CDN)
  /static/vendor/leaflet/  Leaflet's dist files, from the XStatic-Leaflet package installed with Sotong
"""

from __future__ import annotations

import gc
import logging
import threading
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from sotong import __version__, schema, wiring
from sotong.api import cases as api_cases
from sotong.api import deliveries as api_deliveries
from sotong.api import docs as api_docs
from sotong.api import hooks as api_hooks
from sotong.api import metrics as api_metrics
from sotong.api import open311 as api_open311
from sotong.cases import actions as case_actions
from sotong.channels import sandbox as channel_sandbox
from sotong.console import account as console_account
from sotong.console import admin as console_admin
from sotong.console import answers as console_answers
from sotong.console import deliveries as console_deliveries
from sotong.console import inbox as console_inbox
from sotong.console import login as console_login
from sotong.console import notes as console_notes
from sotong.console import notifications as console_notifications
from sotong.console import publication as console_publication
from sotong.console import queue as console_queue
from sotong.console import views as console_views
from sotong.console.admin import answers as answers_admin
from sotong.console.admin import channels as channels_admin
from sotong.db import get_engine, session_factory, utcnow
from sotong.portal import opendata as portal_opendata
from sotong.portal import report as portal_report
from sotong.portal import views as portal_views
from sotong.portal.generation import GenerationWatch
from sotong.portal.pagecache import PageCache, PageCacheMiddleware
from sotong.runtime import service as runtime
from sotong.settings import Environment, Settings, get_settings
from sotong.web import errors
from sotong.web.access import AccessLog, AllowedHosts
from sotong.web.csrf import csrf_protect
from sotong.web.guard import RequestGuard
from sotong.web.maps import LEAFLET_DIR
from sotong.web.security import API_PREFIX, SecurityHeadersMiddleware
from sotong.web.templating import STATIC_DIR
from sotong_sandbox import facebook as sandbox_facebook
from sotong_sandbox import kakao as sandbox_kakao
from sotong_sandbox import mail as sandbox_mail
from sotong_sandbox import mastodon as sandbox_mastodon
from sotong_sandbox import naver as sandbox_naver
from sotong_sandbox import sms as sandbox_sms
from sotong_sandbox import x as sandbox_x

SESSION_COOKIE = "sotong_session"


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
        lifespan=_lifespan,
    )
    # What runs when the server starts and stops (not when the app is built: tests build many).
    app.state.on_start = []
    app.state.on_stop = []
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.metrics_registry = api_metrics.installation_registry(app.state.sessions)

    # A case hidden, edited or released leaves the cached pages, feeds and figures at once, not after their TTL:
    # in this process when it made the change, in every other when it sees the public generation moved.
    state = weakref.ref(app.state)

    def forget() -> None:
        alive = state()
        if alive is not None:
            portal_opendata.forget_public(alive)

    def public_changed(case_id: int) -> None:
        forget()

    case_actions.on_public_change(public_changed)
    app.state.generation_watch = GenerationWatch(engine, forget)
    # Innermost of the three: pages it replays still get the security headers and the session cookie.
    app.state.page_cache = PageCache.for_settings(settings)
    app.add_middleware(PageCacheMiddleware, cache=app.state.page_cache, watch=app.state.generation_watch)
    app.add_middleware(SecurityHeadersMiddleware, hsts_seconds=settings.hsts_max_age)

    # Wraps every handler and the middleware above, so they can all read request.session (only the queued-webhook
    # layer added below sits outside it: accepted webhooks need no session).
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    errors.install(app)

    app.include_router(api_cases.router, prefix=API_PREFIX)
    app.include_router(api_deliveries.router, prefix=API_PREFIX)
    app.include_router(api_docs.router, prefix=API_PREFIX)
    app.include_router(console_login.router)
    app.include_router(console_account.router)
    app.include_router(console_admin.router)
    # Before the console: its catch-all POST /staff/cases/{number}/{action} would take .../showcase and .../answer.
    app.include_router(portal_views.staff_router)
    app.include_router(console_publication.router)
    app.include_router(console_answers.router)
    app.include_router(console_deliveries.router)
    app.include_router(console_views.router)
    app.include_router(console_inbox.router)
    app.include_router(console_queue.router)
    app.include_router(console_notes.router)
    app.include_router(console_notifications.router)
    app.include_router(channels_admin.router)
    app.include_router(answers_admin.router)
    app.include_router(portal_views.router)
    app.include_router(portal_opendata.router)
    app.include_router(portal_report.router)
    app.include_router(api_hooks.router)
    # Outside the session and page layers: accepted queued webhooks skip the session, CSRF and page machinery.
    app.add_middleware(api_hooks.QueuedWebhooks)
    # Outside that, inside the edge: oversized bodies and NUL characters are refused before anything reads them
    # (web/guard.py).
    app.add_middleware(RequestGuard, settings=settings)
    # The edge, outermost last: the request id and access log see every request, the host check refuses
    # strangers' Host headers before any page is built, and the client address behind a trusted proxy is the one
    # the proxy saw (the login lock-out, the web form's limit and Naver's allow-list count citizens, not the proxy).
    app.add_middleware(AccessLog)
    app.add_middleware(AllowedHosts, allowed=settings.allowed_host_list)
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.proxy_trusted_list or [])
    app.include_router(api_open311.router)
    app.include_router(api_metrics.router)
    # Before /static, which would otherwise take these paths and answer 404.
    app.mount("/static/vendor/leaflet", StaticFiles(directory=str(LEAFLET_DIR)), name="leaflet")
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    if settings.env is not Environment.production:
        # The demo's practice platforms (channels/sandbox.py); never served in production, where their accounts
        # are refused.
        _mount_sandboxes(app, settings)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        """Liveness: the process answers (restart it if not). Readiness is /readyz."""
        return JSONResponse({"status": "ok", "version": __version__})

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        """Readiness: the database answers, its schema is this code's, and a worker reported recently."""
        report: dict[str, Any] = {"version": __version__, "database": False, "schema": None, "worker": None}
        problems: list[str] = []
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            report["database"] = True
            found = schema.status(engine)
            report["schema"] = found.state.value
            if found.migrated_by:
                report["schema_migrated_by"] = found.migrated_by
            if found.state is not schema.SchemaState.current:
                problems.append(found.advice)
            else:
                with app.state.sessions() as session:
                    seen = runtime.newest_heartbeat(session)
                    report["paused"] = runtime.paused(session)
                age = (utcnow() - seen).total_seconds() if seen else None
                report["worker"] = {"last_seen_seconds": round(age, 1) if age is not None else None}
                limit = settings.ready_worker_seconds
                if limit and (age is None or age > limit):
                    problems.append(f"no worker reported in the last {limit} s: is `sotong worker` running?")
        except Exception as exc:  # a health check reports failures, it does not raise them
            problems.append(f"database unreachable ({type(exc).__name__})")
        report["status"] = "ok" if not problems else "unavailable"
        if problems:
            report["problems"] = problems
        return JSONResponse(report, status_code=200 if not problems else 503)

    if settings.env == "production":
        # A fresh process would load kiwipiepy and the triage model on its first intake (triage decides chatter
        # before the receipt: 13 s for the first web-form complaint after an upgrade, on a busy 2-core server;
        # Kakao wants an answer within 5 s): load both beside the start-up instead, as a worker does. Off the
        # request path, and harmless if a request gets there first.
        from sotong.worker import warm_models

        threading.Thread(target=warm_models, name="warm-models", daemon=True).start()
        # What is loaded by now (models, routes, scikit-learn) lives as long as the process: kept out of the
        # collector's full passes, which otherwise stall every request of the worker for 0.3-0.5 s at a time.
        gc.collect()
        gc.freeze()
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    for hook in app.state.on_start:
        hook()
    yield
    for hook in app.state.on_stop:
        hook()


def _mount_sandboxes(app: FastAPI, settings: Settings) -> None:
    """The bundled sandboxes under /sandbox/<platform>/, each reading its accounts from the database per request."""

    def kakao_bots() -> list[sandbox_kakao.Bot]:
        with app.state.sessions() as session:
            found = channel_sandbox.kakao_bots(session, settings.base_url)
        return [
            sandbox_kakao.Bot(
                bot_id=bot["bot_id"],
                name=bot["name"],
                skill_url=bot["skill_url"],
                skill_token=bot["skill_token"],
                rest_api_key=bot["rest_api_key"],
                skill_header=bot["skill_header"],
                event_names=frozenset({bot["event_name"]}),
            )
            for bot in found
        ]

    def x_accounts() -> list[sandbox_x.Account]:
        with app.state.sessions() as session:
            return [sandbox_x.Account(**account) for account in channel_sandbox.x_accounts(session)]

    def facebook_pages() -> list[sandbox_facebook.Page]:
        with app.state.sessions() as session:
            found = channel_sandbox.facebook_pages(session, settings.base_url)
        return [sandbox_facebook.Page(**page) for page in found]

    def naver_partners() -> list[sandbox_naver.Partner]:
        with app.state.sessions() as session:
            found = channel_sandbox.naver_partners(session, settings.base_url)
        return [sandbox_naver.Partner(**partner) for partner in found]

    def mastodon_officials() -> list[sandbox_mastodon.Official]:
        with app.state.sessions() as session:
            return [sandbox_mastodon.Official(**official) for official in channel_sandbox.mastodon_officials(session)]

    def sms_services() -> list[sandbox_sms.Service]:
        with app.state.sessions() as session:
            found = channel_sandbox.sms_services(session, settings.base_url)
        return [sandbox_sms.Service(**service) for service in found]

    def mailboxes() -> list[sandbox_mail.Mailbox]:
        with app.state.sessions() as session:
            return [sandbox_mail.Mailbox(**mailbox) for mailbox in channel_sandbox.email_mailboxes(session)]

    mail = sandbox_mail.create_app(mailboxes)

    # The practice mailboxes' IMAP and SMTP servers listen from the start, so the worker's polls find them before
    # anyone opens the page.
    app.state.on_start.append(lambda: _start_mail(mail))
    app.state.on_stop.append(mail.state.sandbox.stop)

    sandboxes: list[tuple[str, Any]] = [
        ("kakao", sandbox_kakao.create_app(kakao_bots)),
        ("x", sandbox_x.create_app(x_accounts)),
        ("facebook", sandbox_facebook.create_app(facebook_pages)),
        ("naver", sandbox_naver.create_app(naver_partners)),
        ("mastodon", sandbox_mastodon.create_app(mastodon_officials)),
        ("sms", sandbox_sms.create_app(sms_services)),
        ("email", mail),
    ]
    for platform, sandbox_app in sandboxes:
        app.mount(channel_sandbox.url("", platform), sandbox_app, name=f"sandbox-{platform}")


def _start_mail(mail: Any) -> None:
    """Start the e-mail sandbox's servers for the practice mailboxes there are (none: nothing listens)."""
    try:
        mail.state.sandbox.ensure_started()
    except SQLAlchemyError as exc:  # a database not migrated yet: the sandbox's page starts them later
        logging.getLogger(__name__).info("mail sandbox not started: %s", type(exc).__name__)
