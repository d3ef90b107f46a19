"""The edge of every request: which host names are ours, the request id, the access log line and request metrics.

Plain ASGI layers (as `security.py`'s), outside everything else in the app but the proxy-headers layer, so their
client address is the one the trusted proxy saw.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sotong.logs import request_id
from sotong.settings import host_allowed

log = logging.getLogger("sotong.access")

# Probes come from load balancers and scrapers that address the machine by its IP: answered whatever the Host.
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

REQUESTS = Counter("sotong_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "sotong_http_request_duration_seconds",
    "Time to answer an HTTP request (to the start of the response body)",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def _host_name(header: str) -> str:
    """The Host header without its port (`[::1]:8000` → `[::1]`)."""
    if header.startswith("["):
        return header.split("]", 1)[0] + "]"
    return header.rsplit(":", 1)[0]


class AllowedHosts:
    """400 for a Host header that is not one of ours (`SOTONG_ALLOWED_HOSTS`; empty: any host)."""

    def __init__(self, app: ASGIApp, *, allowed: list[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.allowed or scope["path"] in PROBE_PATHS:
            await self.app(scope, receive, send)
            return
        if host_allowed(_host_name(Headers(scope=scope).get("host", "")), self.allowed):
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": b"Invalid host header"})


def _unrouted(path: str) -> str:
    # Metrics labels must stay few: a path no route matched is not a label of its own.
    return "/static" if path.startswith("/static/") else "unmatched"


class AccessLog:
    """A request id for every request (the client's `X-Request-ID` if well-formed), one log line and metrics.

    The line has the route's template (`/cases/{number}`) and the path without its query string: tracking tokens
    (`?t=`) and search words stay out of the log.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).setdefault("X-Request-ID", rid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or _unrouted(scope["path"])
            method = scope["method"]
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            client = scope.get("client")
            log.info(
                "%s %s %s",
                method,
                scope["path"],
                status,
                extra={
                    "method": method,
                    "route": route,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                    "client": client[0] if client else None,
                },
            )
            request_id.reset(token)
