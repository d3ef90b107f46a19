"""IMAP IDLE (RFC 2177): the mail server tells us the moment mail arrives, instead of waiting for the next poll.

A watcher per mailbox alternates: take in whatever is new (the ordinary `poll`, with its UID cursor), then IDLE
until the server announces `EXISTS` or the IDLE times out (re-issued before the 29 minutes the RFC allows).
The poll after each wake-up does the real work, so IDLE adds speed, never a second way of storing mail; a
server without the IDLE capability, or a lost connection, falls back to waiting `fallback_seconds` and polling.
Python 3.11's imaplib has no IDLE, so the three commands are spoken here directly on its connection.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import select
import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from sotong.channels.base import ChannelError
from sotong.channels.email.mime import imap_mailbox
from sotong.channels.email.poll import _imap, poll
from sotong.orgs.models import ChannelAccount
from sotong.secrets import open_config

log = logging.getLogger(__name__)

IDLE_SECONDS = 25 * 60  # RFC 2177: servers may drop an IDLE after 30 minutes; re-issue before that
CHECK_SECONDS = 1.0  # how often an idling watcher notices that it should stop


def idle_once(
    config: Mapping[str, Any],
    *,
    timeout: float,
    stop: threading.Event | None = None,
    last_uid: int | None = None,
    idling: threading.Event | None = None,
) -> bool:
    """IDLE on the account's mailbox until new mail is announced (True) or `timeout` passes (False).

    With `last_uid` (the newest UID already taken in), mail that arrived between that poll and this IDLE is
    noticed at once by a UID SEARCH: IDLE only announces mail that arrives while it runs.

    `idling` is set once the server has accepted IDLE (what a test, or a status page, waits on instead of a clock).

    Raises ChannelError when the server does not offer IDLE or the connection fails.
    """
    conn = _imap(config)
    try:
        # Capabilities can grow after login (pymap, Dovecot): ask again rather than trust the greeting's.
        status, caps = conn.capability()
        if status != "OK" or b"IDLE" not in b" ".join(caps).upper().split():
            raise ChannelError("email: the IMAP server does not offer IDLE", permanent=True)
        mailbox = str(config.get("mailbox") or "INBOX")
        status, data = conn.select(imap_mailbox(mailbox), readonly=True)
        if status != "OK":
            raise ChannelError(f"email: IMAP SELECT {mailbox} failed: {data!r}")
        if last_uid is not None:
            status, found = conn.uid("SEARCH", "UID", f"{last_uid + 1}:*")
            # "n:*" always matches the newest message, even below n: only a UID above last_uid is new mail.
            if status == "OK" and any(int(uid) > last_uid for uid in b" ".join(found).split()):
                return True
        tag = conn._new_tag()  # imaplib's own tag counter keeps tags unique
        conn.send(tag + b" IDLE\r\n")
        # From here the socket is read directly: imaplib's buffered file cannot wait with a timeout.
        lines = _Lines(conn.socket())
        if not lines.next(timeout=30.0).startswith(b"+"):
            raise ChannelError("email: the IMAP server refused IDLE")
        if idling is not None:
            idling.set()
        announced = False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not (stop is not None and stop.is_set()):
            line = lines.next(timeout=min(CHECK_SECONDS, max(0.05, deadline - time.monotonic())))
            if line.startswith(b"*") and (b"EXISTS" in line or b"RECENT" in line):
                announced = True
                break
        conn.send(b"DONE\r\n")
        end = time.monotonic() + 30
        while time.monotonic() < end and not lines.next(timeout=1.0).startswith(tag):
            pass  # up to IDLE's tagged completion
        conn.shutdown()  # our reads bypassed imaplib's buffer: close rather than reuse the connection
        return announced
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ChannelError(f"email: IMAP IDLE failed: {type(exc).__name__}: {exc}") from exc
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.shutdown()


class _Lines:
    """CRLF-terminated lines from a socket, each read waiting at most a timeout (b"" when it passes)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def next(self, *, timeout: float) -> bytes:
        end = time.monotonic() + timeout
        while b"\r\n" not in self.buffer:
            left = end - time.monotonic()
            if left <= 0:
                return b""
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return b""
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ChannelError("email: the IMAP server closed the connection during IDLE")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line + b"\r\n"


def watch(
    factory: Callable[[], Session],
    account_id: int,
    stop: threading.Event,
    *,
    idle_seconds: float = IDLE_SECONDS,
    fallback_seconds: float = 60.0,
    idling: threading.Event | None = None,
) -> int:
    """Take in a mailbox's mail as it arrives until `stop` is set; returns how many messages were stored."""
    stored = 0
    while not stop.is_set():
        try:
            with factory() as session:
                polled = poll(session, account_id=account_id)
                stored += polled.taken.stored
                account = session.get(ChannelAccount, account_id)
                config = open_config(account.config) if account is not None else {}
        except Exception as exc:  # the mail server or a bug: wait and try again, never stop watching
            log.warning("email %s: poll in the IDLE watcher failed: %s", account_id, exc)
            stop.wait(fallback_seconds)
            continue
        try:
            idle_once(config, timeout=idle_seconds, stop=stop, last_uid=polled.last_uid, idling=idling)
        except ChannelError as exc:
            log.warning("email %s: %s; polling every %s s instead", account_id, exc.message, fallback_seconds)
            stop.wait(fallback_seconds)
    return stored
