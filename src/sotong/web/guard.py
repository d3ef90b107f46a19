"""The outermost layer: what no route should ever see is refused before anything reads it.

- A body larger than its route's limit: 413, decided from Content-Length before a byte is read, and counted while
  it streams in (chunked bodies, or a Content-Length that lies). Webhooks have their own, small limit
  (`SOTONG_WEBHOOK_MAX_BODY_BYTES`): a platform's event is kilobytes, and the body is read before the account or the
  signature can be checked. Multipart forms may carry photos (their limit follows the attachment settings); every
  other body is a form or JSON document of a few kilobytes.
- A NUL character in the path, the query string or a form body: 400. PostgreSQL cannot store NUL in text, so
  without this a `%00` in a case number, a search or a user name was a 500 on PostgreSQL and a stored oddity on
  SQLite. Message text that reaches intake by other ways (JSON webhooks, multipart forms, polling) is cleaned there
  (`cases/inbound.py`); the database engine refuses whatever else would still carry one (`db.py`).

Plain ASGI, in front of the queued-webhook lane (api/hooks.py), which reads bodies itself.
"""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sotong.settings import Settings

NUL_REASON = "the request contains a NUL character (%00), which is never valid here"
FORM_TYPE = "application/x-www-form-urlencoded"
# Forms and JSON documents without files: a complaint of 20,000 characters is 60 kB in UTF-8, percent-encoded 180 kB.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class BodyRefused(HTTPException):
    """Raised from `receive` while a body streams in: the app's error handlers (or the guard itself) answer it."""


def body_limit(settings: Settings, path: str, content_type: str) -> int:
    """The most bytes a request body to `path` may have."""
    if path.startswith("/hooks/"):
        return settings.webhook_max_body_bytes
    if content_type.startswith("multipart/form-data"):
        return settings.max_attachments * settings.max_attachment_bytes + DEFAULT_MAX_BODY_BYTES
    return DEFAULT_MAX_BODY_BYTES


def _too_large(limit: int) -> str:
    return f"the request body is larger than the {limit:,} bytes this address accepts"


def has_nul(raw: bytes) -> bool:
    """Whether a raw path or query string carries a NUL, percent-encoded or not."""
    return b"\x00" in raw or b"\x00" in unquote_to_bytes(raw)


class RequestGuard:
    """Refuse oversized bodies (413) and NUL characters (400) before the app or the webhook lane sees them."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
        if has_nul(raw_path) or has_nul(scope.get("query_string", b"")) or "\x00" in scope["path"]:
            await _refuse(send, 400, "bad_request", NUL_REASON)
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "")
        limit = body_limit(self.settings, scope["path"], content_type)
        declared = headers.get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _refuse(send, 413, "too_large", _too_large(limit))
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        guarded = _limited(receive, limit, check_nul=content_type.startswith(FORM_TYPE))
        try:
            await self.app(scope, guarded, watched_send)
        except BodyRefused as exc:
            # Raised outside the app's own error handlers (the webhook lane reads bodies before the app).
            if started:
                raise
            await _refuse(send, exc.status_code, "too_large" if exc.status_code == 413 else "bad_request", exc.detail)


def _limited(receive: Receive, limit: int, *, check_nul: bool) -> Receive:
    """`receive`, counting the body's bytes (and looking for encoded NULs in a form) as they arrive."""
    seen = 0
    tail = b""

    async def guarded() -> Message:
        nonlocal seen, tail
        message = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                raise BodyRefused(413, _too_large(limit))
            if check_nul:
                window = tail + chunk
                if b"%00" in window or b"\x00" in window:
                    raise BodyRefused(400, NUL_REASON)
                tail = window[-2:]  # "%0" at the end of one chunk and "0" at the start of the next
        return message

    return guarded


async def _refuse(send: Send, status: int, code: str, reason: str) -> None:
    body = json.dumps({"error": code, "detail": reason}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
        (b"connection", b"close"),  # the rest of a refused body is not read: the connection cannot be reused
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
