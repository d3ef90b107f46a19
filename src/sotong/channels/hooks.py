"""Webhooks: POST /hooks/{channel}/{account_id} takes platform events in; GET answers subscription checks.

Order matters: the signature is checked over the raw bytes before anything is parsed, and everything is
parsed before anything is stored, so a bad request leaves no trace but a log line.

In queued mode (`SOTONG_WEBHOOK_QUEUE=true`) accepted webhooks are answered by `QueuedWebhooks`, a plain ASGI
layer in front of the whole app: no session cookie, CSRF dependency or page middleware to pay for, and the events
of concurrent requests committed together (`events.EventBatcher`). Whatever it does not accept (a bad signature,
a malformed body, an unknown or disabled account) goes on to `receive`, which refuses, logs and records it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sotong.channels.base import Connector, MalformedPayload, SignatureError
from sotong.channels.health import record_attempt
from sotong.channels.intake import take_in
from sotong.channels.intake.events import EventBatcher, StoreFailed, queue_event
from sotong.channels.registry import CONNECTORS, get_connector
from sotong.orgs.models import ChannelAccount
from sotong.secrets import open_config
from sotong.web.app import SECURITY_HEADERS
from sotong.web.deps import AppSettings, DbSession

log = logging.getLogger(__name__)

router = APIRouter(prefix="/hooks", include_in_schema=False)

Target = tuple[Connector, dict[str, Any], int]  # the account's connector, decrypted config and organisation


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent: signatures are computed over these bytes, never over re-serialised JSON."""
    return await request.body()


def _refuse(status: int, reason: str, channel: str, account_id: int, db: Session | None = None) -> JSONResponse:
    log.warning("hook %s/%s refused (%s): %s", channel, account_id, status, reason)
    if db is not None:  # a known account: its admins see the refusal in its health
        db.rollback()
        record_attempt(db, account_id=account_id, source="webhook", error=f"webhook refused ({status}): {reason}")
    return JSONResponse({"error": reason}, status_code=status)


def _lookup(db: Session, channel: str, account_id: int) -> Target | Refusal:
    connector = get_connector(channel)
    if connector is None or not connector.accepts_webhooks:
        return Refusal(404, f"no webhook for channel {channel!r}")
    account = db.get(ChannelAccount, account_id)
    if account is None or account.channel.value != channel:
        return Refusal(404, f"no {channel} account {account_id}")
    if not account.enabled:
        return Refusal(403, f"account {account_id} is disabled")
    config = open_config(account.config)  # secrets decrypted for the platform call only
    org_id = account.org_id
    db.rollback()  # end the read: intake opens its own transactions
    return connector, config, org_id


def _target(db: Session, channel: str, account_id: int, *, cached: bool = False) -> Target | JSONResponse:
    found = _cached_lookup(db, channel, account_id) if cached else _lookup(db, channel, account_id)
    if isinstance(found, Refusal):
        return _refuse(found.status, found.reason, channel, account_id)
    return found


# Queued mode serves floods: the account behind a webhook is read once per process every few seconds instead of
# on every request. A change (disabled, new secret) shows within ACCOUNT_CACHE_SECONDS; the worker re-reads the
# account when it takes the event in and refuses a disabled one then.
ACCOUNT_CACHE_SECONDS = 5.0
_accounts: dict[tuple[str, str, int], tuple[float, Target]] = {}
_accounts_lock = threading.Lock()


def _cached_lookup(db: Session, channel: str, account_id: int) -> Target | Refusal:
    key = (str(db.get_bind().engine.url), channel, account_id)
    now = time.monotonic()
    with _accounts_lock:
        hit = _accounts.get(key)
    if hit is not None and now - hit[0] < ACCOUNT_CACHE_SECONDS:
        return hit[1]
    found = _lookup(db, channel, account_id)
    if not isinstance(found, Refusal):
        with _accounts_lock:
            _accounts[key] = (now, found)
    return found


@router.get("/{channel}/{account_id}")
def handshake(channel: str, account_id: int, request: Request, db: DbSession) -> Response:
    """The platform's subscription check (Facebook's hub.challenge)."""
    target = _target(db, channel, account_id)
    if isinstance(target, JSONResponse):
        return target
    connector, config, _ = target
    try:
        answer = connector.handshake(config, dict(request.query_params))
    except SignatureError as exc:
        return _refuse(401 if exc.missing else 403, exc.message, channel, account_id)
    return PlainTextResponse(answer.body, media_type=answer.media_type)


@router.post("/{channel}/{account_id}")
def receive(
    channel: str,
    account_id: int,
    request: Request,
    db: DbSession,
    settings: AppSettings,
    body: Annotated[bytes, Depends(raw_body)],
) -> Response:
    """Verify, parse, then store each message once; 200 tells the platform not to redeliver."""
    target = _target(db, channel, account_id, cached=settings.webhook_queue)
    if isinstance(target, JSONResponse):
        return target
    connector, config, org_id = target
    try:
        connector.verify(config, headers=request.headers, body=body)
    except SignatureError as exc:
        return _refuse(401 if exc.missing else 403, exc.message, channel, account_id, db)
    try:
        messages = connector.parse(config, body)
    except MalformedPayload as exc:
        return _refuse(400, exc.message, channel, account_id, db)
    if settings.webhook_queue:
        # Accepted webhooks are normally answered by QueuedWebhooks before they get here; this serves the rest
        # (an account whose cache entry expired between the two checks). The worker takes the event in.
        if not messages:
            return JSONResponse({"queued": 0, "duplicates": 0})
        queued = queue_event(db, account_id=account_id, org_id=org_id, channel=channel, body=body)
        return JSONResponse({"queued": int(queued), "duplicates": int(not queued)})
    result = take_in(db, account_id=account_id, messages=messages)
    record_attempt(db, account_id=account_id, source="webhook", stored=result.stored, throttle=True)
    return JSONResponse({"stored": result.stored, "duplicates": result.duplicates, "refused": result.refused})


# The answers QueuedWebhooks writes itself carry the app's security headers: it runs outside their middleware.
LANE_HEADERS = [
    (b"content-type", b"application/json"),
    *((name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()),
    (b"cache-control", b"no-store"),
]


class QueuedWebhooks:
    """Queued mode's accepted webhooks, verified, parsed and queued in front of the app's middleware and routing.

    Takes only what the app would route to `receive`, only in queued mode, and answers only what it accepts
    (signature good, body parsed); anything else goes on to the app with its body, exactly as it came.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._reading: dict[tuple[str, int], asyncio.Future[Target | Refusal]] = {}
        self._batcher: EventBatcher | None = None
        self._database = ""  # the engine's URL: the account cache's key, as in _cached_lookup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        web = scope.get("app")
        if scope["type"] != "http" or scope["method"] != "POST" or not isinstance(web, FastAPI):
            await self.app(scope, receive, send)
            return
        parts = scope["path"].split("/")
        if (
            len(parts) != 4
            or parts[1] != "hooks"
            or not (parts[3].isascii() and parts[3].isdigit())
            or not web.state.settings.webhook_queue
            or not self._reaches_receive(parts[2])
        ):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return  # the sender hung up before the body was in: nothing stored, nobody to answer
        if not await self._accept(web, scope, parts[2], int(parts[3]), body, send):
            await self.app(scope, _replay(body, receive), send)

    async def _accept(self, web: FastAPI, scope: Scope, channel: str, account_id: int, body: bytes, send: Send) -> bool:
        """Queue the webhook and answer it; False (nothing stored, nothing sent) when the route must judge it."""
        found = await self._target(web, channel, account_id)
        if isinstance(found, Refusal):
            return False
        connector, config, org_id = found
        try:
            connector.verify(config, headers=Headers(scope=scope), body=body)
            messages = connector.parse(config, body)
        except (SignatureError, MalformedPayload):
            return False
        if not messages:  # nothing to take in (the page's own reply echoed back): nothing to store
            await _answer(send, 200, {"queued": 0, "duplicates": 0})
            return True
        if self._batcher is None or self._batcher.loop is not asyncio.get_running_loop():
            self._batcher = EventBatcher(web.state.engine)
        try:
            queued = await self._batcher.queue(account_id=account_id, org_id=org_id, channel=channel, body=body)
        except StoreFailed:
            # The batcher logged the failure once for its batch. Not acknowledged: the platform delivers it again.
            await _answer(send, 503, {"error": "the event could not be stored; deliver it again"})
            return True
        await _answer(send, 200, {"queued": int(queued), "duplicates": int(not queued)})
        return True

    @staticmethod
    def _reaches_receive(channel: str) -> bool:
        # Exactly the channels `receive` serves: Kakao and Naver answer on the same paths from routes of their
        # own, and their connectors say accepts_webhooks=False, so the generic route would refuse them.
        connector = CONNECTORS.get(channel)
        return connector is not None and connector.accepts_webhooks

    async def _target(self, web: FastAPI, channel: str, account_id: int) -> Target | Refusal:
        if not self._database:
            self._database = str(web.state.engine.url)
        hit = _accounts.get((self._database, channel, account_id))
        if hit is not None and time.monotonic() - hit[0] < ACCOUNT_CACHE_SECONDS:
            return hit[1]
        # One read per account, however many requests missed the cache together (they do, every 5 s under load).
        reading = self._reading.get((channel, account_id))
        if reading is None:
            reading = asyncio.get_running_loop().run_in_executor(None, _read_target, web, channel, account_id)
            self._reading[(channel, account_id)] = reading
            reading.add_done_callback(lambda _: self._reading.pop((channel, account_id), None))
        return await asyncio.shield(reading)


def _read_target(web: FastAPI, channel: str, account_id: int) -> Target | Refusal:
    with web.state.sessions() as db:
        return _cached_lookup(db, channel, account_id)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the body read already over again, then passes on whatever comes next."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


async def _answer(send: Send, status: int, payload: dict[str, Any]) -> None:
    content = json.dumps(payload, separators=(",", ":")).encode()
    headers = [*LANE_HEADERS, (b"content-length", str(len(content)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
