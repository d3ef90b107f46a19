"""What every response carries: the security headers of pages that are ours alone, and no-store on staff data."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_PREFIX = "/api/v1"

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
    """SECURITY_HEADERS (and HSTS when configured) on every response, and no-store on staff and API responses.

    Plain ASGI rather than `@app.middleware("http")`: that wrapper runs each request through an extra task and
    memory stream, a cost every portal page paid.
    """

    def __init__(self, app: ASGIApp, hsts_seconds: int = 0) -> None:
        self.app = app
        # HTTPS only from now on, for this host and its subdomains (settings.hsts_max_age: a year in production).
        self.hsts = f"max-age={hsts_seconds}; includeSubDomains" if hsts_seconds else None

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
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", self.hsts)
                if no_store:
                    headers.setdefault("Cache-Control", "no-store")  # staff data must not sit in shared caches
            await send(message)

        await self.app(scope, receive, send_with_headers)
