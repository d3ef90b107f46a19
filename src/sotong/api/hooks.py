"""Webhooks over HTTP: POST /hooks/{channel}/{account_id} takes platform events in; GET answers subscription checks.

What happens to a webhook is decided once, for every channel, in channels/webhooks.py (the connector declares what
is its own: verification, parsing, a synchronous answer). This module only turns requests into `WebhookRequest`s
and replies into responses.

In queued mode (`SOTONG_WEBHOOK_QUEUE=true`) accepted webhooks are answered by `QueuedWebhooks`, a plain ASGI
layer in front of the whole app: no session cookie, CSRF dependency or page middleware to pay for, and the events
of concurrent requests committed together (`events.EventBatcher`). Whatever it does not accept (a bad signature,
a malformed body, an unknown or disabled account) goes on to `receive`, which refuses, logs and records it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sotong.channels import webhooks
from sotong.channels.base import MalformedPayload, SignatureError, WebhookReply, WebhookRequest, parse_body
from sotong.channels.intake.events import EventBatcher, StoreFailed
from sotong.channels.registry import get_connector
from sotong.channels.webhooks import Refusal, Target
from sotong.web.deps import AppSettings, DbSession
from sotong.web.security import SECURITY_HEADERS

router = APIRouter(prefix="/hooks", include_in_schema=False)


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent: signatures are computed over these bytes, never over re-serialised JSON."""
    return await request.body()


def _refused(refusal: Refusal) -> JSONResponse:
    return JSONResponse({"error": refusal.reason}, status_code=refusal.status)


def _reply(reply: WebhookReply) -> Response:
    if reply.body is None:
        return Response(status_code=reply.status)
    return JSONResponse(reply.body, status_code=reply.status)


def _webhook_request(request: Request, body: bytes) -> WebhookRequest:
    """The delivery as a connector checks it: headers, the raw body, the query and the caller's address."""
    return WebhookRequest(
        headers=request.headers,
        body=body,
        query=dict(request.query_params),
        client_ip=request.client.host if request.client else None,
    )


def _handshake_answer(answer: webhooks.Handshake | Refusal) -> Response:
    """A subscription check's answer as plain text, or the refusal."""
    if isinstance(answer, Refusal):
        return _refused(answer)
    return PlainTextResponse(answer.body, media_type=answer.media_type)


@router.get("/{channel}")
def app_handshake(channel: str, request: Request, db: DbSession) -> Response:
    """The subscription check of a channel's one app-level URL (Facebook: one callback URL per app)."""
    answer = webhooks.handshake_app(db, channel=channel, query=dict(request.query_params))
    return _handshake_answer(answer)


@router.post("/{channel}")
def app_receive(
    channel: str,
    request: Request,
    db: DbSession,
    settings: AppSettings,
    body: Annotated[bytes, Depends(raw_body)],
) -> Response:
    """A delivery to a channel's one app-level URL, each entry routed to the account it names (Facebook Pages)."""
    webhook = _webhook_request(request, body)
    outcome = webhooks.receive_app(db, channel=channel, request=webhook, queued_mode=settings.webhook_queue)
    return _refused(outcome) if isinstance(outcome, Refusal) else _reply(outcome)


@router.get("/{channel}/{account_id}")
def handshake(channel: str, account_id: int, request: Request, db: DbSession) -> Response:
    """The platform's subscription check (Facebook's hub.challenge, X's CRC)."""
    answer = webhooks.handshake(db, channel=channel, account_id=account_id, query=dict(request.query_params))
    return _handshake_answer(answer)


@router.post("/{channel}/{account_id}")
def receive(
    channel: str,
    account_id: int,
    request: Request,
    db: DbSession,
    settings: AppSettings,
    body: Annotated[bytes, Depends(raw_body)],
) -> Response:
    """Verify, parse, then store each message once; the answer tells the platform not to deliver it again."""
    webhook = _webhook_request(request, body)
    outcome = webhooks.receive(
        db,
        request.app.state.sessions,
        channel=channel,
        account_id=account_id,
        request=webhook,
        queued_mode=settings.webhook_queue,
    )
    return _refused(outcome) if isinstance(outcome, Refusal) else _reply(outcome)


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
        self._database = ""  # the engine's URL: the account cache's key, as in cached_lookup

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
            or not webhooks.queues(get_connector(parts[2]), web.state.settings.webhook_queue)
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
        connector, config, org_id = found.connector, found.config, found.org_id
        client = scope.get("client")
        request = WebhookRequest(
            headers=Headers(scope=scope),
            body=body,
            query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))),
            client_ip=client[0] if client else None,
        )
        try:
            connector.verify(config, request)
            if connector.route_key and set(connector.split(body)) != {str(config.get(connector.route_key) or "")}:
                return False  # entries of other Pages (or none of this one): routed entry by entry by the app
            messages = parse_body(connector, config, body)
        except (SignatureError, MalformedPayload):
            return False
        if not messages:  # nothing to take in (the page's own reply echoed back): nothing to store
            await _answer(send, connector.webhook_reply({"queued": 0, "duplicates": 0}))
            return True
        if self._batcher is None or self._batcher.loop is not asyncio.get_running_loop():
            self._batcher = EventBatcher(web.state.engine)
        try:
            queued = await self._batcher.queue(account_id=account_id, org_id=org_id, channel=channel, body=body)
        except StoreFailed:
            # The batcher logged the failure once for its batch. Not acknowledged: the platform delivers it again.
            await _answer(send, WebhookReply({"error": "the event could not be stored; deliver it again"}, status=503))
            return True
        await _answer(send, connector.webhook_reply({"queued": int(queued), "duplicates": int(not queued)}))
        return True

    async def _target(self, web: FastAPI, channel: str, account_id: int) -> Target | Refusal:
        if not self._database:
            self._database = str(web.state.engine.url)
        hit = webhooks.cached_target(self._database, channel, account_id)
        if hit is not None:
            return hit
        # One read per account, however many requests missed the cache together (they do, every 5 s under load).
        reading = self._reading.get((channel, account_id))
        if reading is None:
            reading = asyncio.get_running_loop().run_in_executor(None, _read_target, web, channel, account_id)
            self._reading[(channel, account_id)] = reading
            reading.add_done_callback(lambda _: self._reading.pop((channel, account_id), None))
        return await asyncio.shield(reading)


def _read_target(web: FastAPI, channel: str, account_id: int) -> Target | Refusal:
    with web.state.sessions() as db:
        return webhooks.cached_lookup(db, channel, account_id)


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


async def _answer(send: Send, reply: WebhookReply) -> None:
    content = b"" if reply.body is None else json.dumps(reply.body, separators=(",", ":")).encode()
    headers = [*LANE_HEADERS, (b"content-length", str(len(content)).encode())]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
