"""Webhooks: POST /hooks/{channel}/{account_id} takes platform events in; GET answers subscription checks.

Order matters: the signature is checked over the raw bytes before anything is parsed, and everything is
parsed before anything is stored, so a bad request leaves no trace but a log line.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.orm import Session

from sotong.channels.base import Connector, MalformedPayload, SignatureError
from sotong.channels.credentials import open_config
from sotong.channels.events import queue_event
from sotong.channels.health import record_attempt
from sotong.channels.intake import take_in
from sotong.channels.registry import get_connector
from sotong.orgs.models import ChannelAccount
from sotong.web.deps import AppSettings, DbSession

log = logging.getLogger(__name__)

router = APIRouter(prefix="/hooks", include_in_schema=False)


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent: signatures are computed over these bytes, never over re-serialised JSON."""
    return await request.body()


def _refuse(status: int, reason: str, channel: str, account_id: int, db: Session | None = None) -> JSONResponse:
    log.warning("hook %s/%s refused (%s): %s", channel, account_id, status, reason)
    if db is not None:  # a known account: its admins see the refusal in its health
        db.rollback()
        record_attempt(db, account_id=account_id, source="webhook", error=f"webhook refused ({status}): {reason}")
    return JSONResponse({"error": reason}, status_code=status)


def _target(db: Session, channel: str, account_id: int) -> tuple[Connector, dict[str, Any], int] | JSONResponse:
    connector = get_connector(channel)
    if connector is None or not connector.accepts_webhooks:
        return _refuse(404, f"no webhook for channel {channel!r}", channel, account_id)
    account = db.get(ChannelAccount, account_id)
    if account is None or account.channel.value != channel:
        return _refuse(404, f"no {channel} account {account_id}", channel, account_id)
    if not account.enabled:
        return _refuse(403, f"account {account_id} is disabled", channel, account_id)
    config = open_config(account.config)  # secrets decrypted for the platform call only
    org_id = account.org_id
    db.rollback()  # end the read: intake opens its own transactions
    return connector, config, org_id


# Queued mode serves floods: the account behind a webhook is read once per process every few seconds instead of
# on every request. A change (disabled, new secret) shows within ACCOUNT_CACHE_SECONDS; the worker re-reads the
# account when it takes the event in and refuses a disabled one then.
ACCOUNT_CACHE_SECONDS = 5.0
_accounts: dict[tuple[str, str, int], tuple[float, tuple[Connector, dict[str, Any], int]]] = {}
_accounts_lock = threading.Lock()


def _cached_target(db: Session, channel: str, account_id: int) -> tuple[Connector, dict[str, Any], int] | JSONResponse:
    key = (str(db.get_bind().engine.url), channel, account_id)
    now = time.monotonic()
    with _accounts_lock:
        hit = _accounts.get(key)
    if hit is not None and now - hit[0] < ACCOUNT_CACHE_SECONDS:
        return hit[1]
    target = _target(db, channel, account_id)
    if not isinstance(target, JSONResponse):
        with _accounts_lock:
            _accounts[key] = (now, target)
    return target


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
    target = _cached_target(db, channel, account_id) if settings.webhook_queue else _target(db, channel, account_id)
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
        # One INSERT and done: the worker takes it in (channels/events.py) and records the account's health.
        if not messages:
            return JSONResponse({"queued": 0, "duplicates": 0})
        queued = queue_event(db, account_id=account_id, org_id=org_id, channel=channel, body=body)
        return JSONResponse({"queued": int(queued), "duplicates": int(not queued)})
    result = take_in(db, account_id=account_id, messages=messages)
    record_attempt(db, account_id=account_id, source="webhook", stored=result.stored, throttle=True)
    return JSONResponse({"stored": result.stored, "duplicates": result.duplicates, "refused": result.refused})
