"""Webhooks from every platform, handled once: the account looked up, the request verified and parsed, its
messages stored (or queued, or answered by the connector itself), the outcome logged and kept in the account's
health. The HTTP side is api/hooks.py; everything channel-specific is the connector's (channels/base.py).

Order matters: the signature is checked over the raw bytes before anything is parsed, and everything is parsed
before anything is stored, so a bad request leaves no trace but a log line and a note in the account's health.

Queued mode (`SOTONG_WEBHOOK_QUEUE=true`) stores a verified, parsed body in `inbound_events` and answers at once;
the worker's pass `process_events` takes the queued bodies in, parsed again by their connector.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.channels.base import (
    Connector,
    Handshake,
    MalformedPayload,
    SignatureError,
    WebhookReply,
    WebhookRequest,
    parse_body,
)
from sotong.channels.health import record_attempt
from sotong.channels.intake import take_in
from sotong.channels.intake.events import BATCH, Claimed, claim, claimed, finish, queue_event, retry_later
from sotong.channels.registry import get_connector
from sotong.db import utcnow
from sotong.orgs.models import Channel, ChannelAccount
from sotong.secrets import open_config

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]


@dataclass(frozen=True)
class Refusal:
    """A webhook turned away: the HTTP status and the reason the platform (and the log) are told."""

    status: int
    reason: str


@dataclass(frozen=True)
class Target:
    """The account a webhook is for: its connector, its config with secrets opened, its organisation."""

    connector: Connector
    config: dict[str, Any]
    org_id: int


def lookup(session: Session, channel: str, account_id: int) -> Target | Refusal:
    """The enabled account of `channel` with this id, or why the webhook is refused (unknown, disabled)."""
    connector = get_connector(channel)
    if connector is None or not connector.accepts_webhooks:
        return Refusal(404, f"no webhook for channel {channel!r}")
    account = session.get(ChannelAccount, account_id)
    if account is None or account.channel.value != channel:
        return Refusal(404, f"no {channel} account {account_id}")
    if not account.enabled:
        return Refusal(403, f"account {account_id} is disabled")
    config = open_config(account.config)  # secrets decrypted for the platform call only
    org_id = account.org_id
    session.rollback()  # end the read: intake opens its own transactions
    return Target(connector, config, org_id)


# Queued mode serves floods: the account behind a webhook is read once per process every few seconds instead of
# on every request. A change (disabled, new secret) shows within ACCOUNT_CACHE_SECONDS; the worker re-reads the
# account when it takes the event in and refuses a disabled one then.
ACCOUNT_CACHE_SECONDS = 5.0
_accounts: dict[tuple[str, str, int], tuple[float, Target]] = {}
_accounts_lock = threading.Lock()


def cached_lookup(session: Session, channel: str, account_id: int) -> Target | Refusal:
    """`lookup`, remembered per process for ACCOUNT_CACHE_SECONDS (refusals are not remembered)."""
    database = str(session.get_bind().engine.url)
    hit = cached_target(database, channel, account_id)
    if hit is not None:
        return hit
    read_at = time.monotonic()
    found = lookup(session, channel, account_id)
    if not isinstance(found, Refusal):
        with _accounts_lock:
            _accounts[(database, channel, account_id)] = (read_at, found)
    return found


def cached_target(database: str, channel: str, account_id: int) -> Target | None:
    """A fresh cached account for the engine at `database` (its URL), or None (read it with `cached_lookup`)."""
    hit = _accounts.get((database, channel, account_id))  # one dict read: atomic, no lock on every request
    if hit is not None and time.monotonic() - hit[0] < ACCOUNT_CACHE_SECONDS:
        return hit[1]
    return None


def refuse(session: Session | None, channel: str, account_id: int, refusal: Refusal) -> Refusal:
    """Log a refusal, and keep it in the health of a known account (its admins see it); returns it."""
    log.warning("hook %s/%s refused (%s): %s", channel, account_id, refusal.status, refusal.reason)
    if session is not None:
        session.rollback()
        record_attempt(
            session,
            account_id=account_id,
            source="webhook",
            error=f"webhook refused ({refusal.status}): {refusal.reason}",
        )
    return refusal


def queues(connector: Connector | None, queued_mode: bool) -> bool:
    """Whether this channel's webhooks are queued: in queued mode, unless the connector takes its events in at once
    (`queues` False, TalkTalk) or must answer them itself (`responds`, Kakao waits for its skill answer)."""
    return (
        queued_mode
        and connector is not None
        and connector.accepts_webhooks
        and connector.queues
        and not connector.responds
    )


def handshake(session: Session, *, channel: str, account_id: int, query: dict[str, str]) -> Handshake | Refusal:
    """The platform's GET subscription check (Facebook's hub.challenge, X's CRC)."""
    found = lookup(session, channel, account_id)
    if isinstance(found, Refusal):
        return refuse(None, channel, account_id, found)
    try:
        return found.connector.handshake(found.config, query)
    except SignatureError as exc:
        return refuse(None, channel, account_id, Refusal(401 if exc.missing else 403, exc.message))


def receive(
    session: Session,
    sessions: SessionFactory,
    *,
    channel: str,
    account_id: int,
    request: WebhookRequest,
    queued_mode: bool,
) -> WebhookReply | Refusal:
    """Verify, parse, then store each message once (or queue the body, or let the connector answer itself).

    The reply tells the platform not to deliver the webhook again; a refusal says why it was not taken.
    """
    cached = queues(get_connector(channel), queued_mode)
    found = cached_lookup(session, channel, account_id) if cached else lookup(session, channel, account_id)
    if isinstance(found, Refusal):
        return refuse(None, channel, account_id, found)
    connector, config, org_id = found.connector, found.config, found.org_id
    try:
        connector.verify(config, request)
    except SignatureError as exc:
        return refuse(session, channel, account_id, Refusal(401 if exc.missing else 403, exc.message))
    if connector.responds:
        try:
            responded = connector.respond(config, request, sessions=sessions, account_id=account_id)
        except MalformedPayload as exc:
            return refuse(session, channel, account_id, Refusal(400, exc.message))
        record_attempt(session, account_id=account_id, source="webhook", error=responded.error, stored=responded.stored)
        return responded.reply
    if connector.route_key:
        try:
            parts = connector.split(request.body)
        except MalformedPayload as exc:
            return refuse(session, channel, account_id, Refusal(400, exc.message))
        if set(parts) != {str(config.get(connector.route_key) or "")}:
            # The app's one callback URL is this account's: other Pages' entries go to their own accounts.
            return _receive_routed(session, connector, channel, request, parts, queued_mode, url_account=account_id)
    try:
        messages = parse_body(connector, config, request.body)
    except MalformedPayload as exc:
        return refuse(session, channel, account_id, Refusal(400, exc.message))
    if queues(connector, queued_mode):
        # Accepted webhooks are normally answered by the queued lane (api/hooks.py) before they get here; this
        # serves the rest (an account whose cache entry expired between the two checks). The worker takes it in.
        if not messages:
            return connector.webhook_reply({"queued": 0, "duplicates": 0})
        stored = queue_event(session, account_id=account_id, org_id=org_id, channel=channel, body=request.body)
        return connector.webhook_reply({"queued": int(stored), "duplicates": int(not stored)})
    result = take_in(session, account_id=account_id, messages=messages)
    record_attempt(session, account_id=account_id, source="webhook", stored=result.stored, throttle=True)
    return connector.webhook_reply(
        {"stored": result.stored, "duplicates": result.duplicates, "refused": result.refused}
    )


def routed_accounts(session: Session, connector: Connector) -> dict[str, tuple[int, Target]]:
    """The enabled accounts of a routed channel by their `route_key` value (a Facebook Page id)."""
    assert connector.route_key is not None
    query = select(ChannelAccount).where(
        ChannelAccount.channel == Channel(connector.name), ChannelAccount.enabled.is_(True)
    )
    found: dict[str, tuple[int, Target]] = {}
    for account in session.scalars(query.order_by(ChannelAccount.id)):
        config = open_config(account.config)
        key = str(config.get(connector.route_key) or "")
        if key:
            found.setdefault(key, (account.id, Target(connector, config, account.org_id)))
    session.rollback()
    return found


def handshake_app(session: Session, *, channel: str, query: dict[str, str]) -> Handshake | Refusal:
    """The subscription check of a channel's one app-level URL: answered if any of its accounts accepts it."""
    connector = get_connector(channel)
    if connector is None or not connector.accepts_webhooks or not connector.route_key:
        return Refusal(404, f"no app-level webhook for channel {channel!r}")
    refusal = Refusal(403, f"no {channel} account accepts this subscription check")
    for _, target in routed_accounts(session, connector).values():
        try:
            return connector.handshake(target.config, query)
        except SignatureError as exc:
            refusal = Refusal(401 if exc.missing else 403, exc.message)
    return refuse(None, channel, 0, refusal)


def receive_app(
    session: Session, *, channel: str, request: WebhookRequest, queued_mode: bool
) -> WebhookReply | Refusal:
    """A delivery to the channel's one app-level URL (``/hooks/facebook``), routed entry by entry to its account."""
    connector = get_connector(channel)
    if connector is None or not connector.accepts_webhooks or not connector.route_key:
        return refuse(None, channel, 0, Refusal(404, f"no app-level webhook for channel {channel!r}"))
    try:
        parts = connector.split(request.body)
    except MalformedPayload as exc:
        return refuse(None, channel, 0, Refusal(400, exc.message))
    return _receive_routed(session, connector, channel, request, parts, queued_mode, url_account=None)


def _receive_routed(
    session: Session,
    connector: Connector,
    channel: str,
    request: WebhookRequest,
    parts: dict[str, bytes],
    queued_mode: bool,
    *,
    url_account: int | None,
) -> WebhookReply | Refusal:
    """Each part to the account it names, checked with that account's secret; parts no account has are refused.

    A delivery with no known part at all is refused (and kept in the health of the URL's account, if any);
    otherwise the known parts are taken in and the unknown ones counted as refused, so that Meta does not deliver
    again what was taken.
    """
    accounts = routed_accounts(session, connector)
    unknown = sorted(key for key in parts if key not in accounts)
    if unknown:
        log.warning("hook %s: entries for %s %s, which no enabled account has", channel, connector.route_key, unknown)
    if len(unknown) == len(parts):
        refusal = Refusal(403, f"no enabled {channel} account for {connector.route_key} {', '.join(unknown)}")
        return refuse(session if url_account else None, channel, url_account or 0, refusal)
    counts = {"stored": 0, "duplicates": 0, "refused": len(unknown)}
    for key, body in parts.items():
        if key not in accounts:
            continue
        account_id, target = accounts[key]
        try:
            connector.verify(target.config, request)
            messages = parse_body(connector, target.config, body)
        except SignatureError as exc:
            refuse(session, channel, account_id, Refusal(401 if exc.missing else 403, exc.message))
            counts["refused"] += 1
            continue
        except MalformedPayload as exc:
            refuse(session, channel, account_id, Refusal(400, exc.message))
            counts["refused"] += 1
            continue
        if queues(connector, queued_mode):
            if messages:
                stored = queue_event(session, account_id=account_id, org_id=target.org_id, channel=channel, body=body)
                counts["stored" if stored else "duplicates"] += 1
            continue
        result = take_in(session, account_id=account_id, messages=messages)
        record_attempt(session, account_id=account_id, source="webhook", stored=result.stored, throttle=True)
        counts["stored"] += result.stored
        counts["duplicates"] += result.duplicates
        counts["refused"] += result.refused
    if counts["refused"] == len(parts):
        return Refusal(403, f"no part of the {channel} delivery was accepted")
    return connector.webhook_reply(counts)


def _take_in_queued(session: Session, account_id: int, events: list[Claimed]) -> None:
    """Take the events of one account in with one `take_in`: its messages stored a page per transaction."""
    account = session.get(ChannelAccount, account_id)
    connector = get_connector(events[0].channel)
    if account is None or connector is None or any(event.channel != events[0].channel for event in events):
        raise RuntimeError(f"no connector or account for events {[event.id for event in events]}")
    config = open_config(account.config)
    session.rollback()
    messages = [message for event in events for message in parse_body(connector, config, event.body)]  # arrival order
    result = take_in(session, account_id=account_id, messages=messages)
    record_attempt(session, account_id=account_id, source="webhook", stored=result.stored)


def process_events(session_factory: SessionFactory, *, batch: int = BATCH, now: dt.datetime | None = None) -> int:
    """Take in up to `batch` queued events; returns how many were finished (done or failed for good).

    The worker's pass for queued mode. The events of one account go through intake together (after a flood that
    is hundreds of messages in a few transactions rather than a dozen statements each). If that fails, each event
    is taken in on its own, so one event that cannot be taken in is retried and failed by itself and never holds
    back the others.
    """
    now = now or utcnow()
    with session_factory() as session:
        ids = claim(session, batch=batch, now=now)
        if not ids:
            return 0
        taken = claimed(session, ids)
    by_account: dict[int, list[Claimed]] = {}
    for event in taken:
        by_account.setdefault(event.account_id, []).append(event)
    finished = 0
    for account_id, events in by_account.items():
        with session_factory() as session:
            try:
                _take_in_queued(session, account_id, events)
            except Exception as exc:  # which event it was is found out one by one below
                session.rollback()
                if len(events) == 1:
                    finished += int(retry_later(session, events[0].id, exc))
                    continue
                log.info("account %s: %s queued events failed together (%s); one by one", account_id, len(events), exc)
            else:
                finish(session, [event.id for event in events])
                finished += len(events)
                continue
            for event in events:
                try:
                    _take_in_queued(session, account_id, [event])
                except Exception as exc:  # anything: the event stays for a retry, the worker carries on
                    finished += int(retry_later(session, event.id, exc))
                    continue
                finish(session, [event.id])
                finished += 1
    return finished
