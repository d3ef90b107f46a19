"""Mastodon mentions as they happen: the streaming API (server-sent events) through Mastodon.py.

`sotong channels stream` keeps one notification stream open per enabled Mastodon account whose config does not
say `"streaming": false`; a mention is taken in within a second of being posted, so its receipt leaves on the
worker's next pass. Mastodon.py reconnects a dropped stream by itself. Polling stays on as the safety net: a
mention posted while a stream was down is fetched by the next poll, and intake's unique key makes a mention
that arrives both ways one message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from mastodon import StreamListener
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.channels.health import record_attempt
from sotong.channels.intake import take_in
from sotong.channels.mastodon.api import client
from sotong.channels.mastodon.parse import parse_notifications
from sotong.orgs.models import Channel, ChannelAccount
from sotong.secrets import open_config

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 5


class MentionListener(StreamListener):
    """Takes each mention notification in, in its own session, the moment the stream delivers it."""

    def __init__(self, factory: Callable[[], Session], account_id: int, config: dict[str, Any]) -> None:
        super().__init__()
        self.factory = factory
        self.account_id = account_id
        self.config = config
        self.taken = 0
        self.heartbeats = 0  # Mastodon's streaming server sends one every few seconds: the stream is alive

    def handle_heartbeat(self) -> None:
        self.heartbeats += 1

    def on_notification(self, notification: Any) -> None:
        try:
            messages = parse_notifications(self.config, [notification])
            if not messages:
                return
            with self.factory() as session:
                result = take_in(session, account_id=self.account_id, messages=messages)
                record_attempt(session, account_id=self.account_id, source="stream", stored=result.stored)
            self.taken += result.stored
        except Exception:
            # The stream stays open; the next poll fetches this mention again and intake takes it then.
            log.exception("mastodon stream of account %s: a mention could not be taken in", self.account_id)

    def on_abort(self, err: Exception) -> None:
        log.warning("mastodon stream of account %s dropped: %s (reconnecting)", self.account_id, err)


class Stream:
    """One open stream; `close()` ends it."""

    def __init__(self, handle: Any, listener: MentionListener) -> None:
        self.handle = handle
        self.listener = listener

    def is_alive(self) -> bool:
        return bool(self.handle.is_alive())

    def close(self) -> None:
        self.handle.close()


def open_stream(factory: Callable[[], Session], account_id: int) -> Stream:
    """Open the notification stream of one account (in a background thread that reconnects)."""
    with factory() as session:
        account = session.get(ChannelAccount, account_id)
        if account is None or account.channel is not Channel.mastodon:
            raise ValueError(f"no mastodon account {account_id}")
        config = open_config(account.config)
    listener = MentionListener(factory, account_id, config)
    handle = client(config).stream_user_notifications(
        listener, run_async=True, reconnect_async=True, reconnect_async_wait_sec=RECONNECT_SECONDS
    )
    return Stream(handle, listener)


def streamed_accounts(session: Session) -> list[int]:
    """Enabled Mastodon accounts that stream (all, unless their config says "streaming": false)."""
    accounts = session.scalars(
        select(ChannelAccount).where(ChannelAccount.channel == Channel.mastodon, ChannelAccount.enabled.is_(True))
    )
    return [a.id for a in accounts if (a.config or {}).get("streaming", True) is not False]


def stream_all(factory: Callable[[], Session], stop: threading.Event) -> int:
    """Stream every such account until `stop` is set; returns how many messages were taken in."""
    with factory() as session:
        ids = streamed_accounts(session)
    streams = []
    for account_id in ids:
        try:
            streams.append(open_stream(factory, account_id))
        except Exception as exc:  # one broken account must not keep the others from streaming
            log.warning("mastodon account %s: stream not opened: %s", account_id, exc)
    log.info("streaming %s mastodon account(s)", len(streams))
    stop.wait()
    for stream in streams:
        stream.close()
    return sum(s.listener.taken for s in streams)
