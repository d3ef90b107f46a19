"""Polling a mailbox over IMAP for mail newer than the last UID taken in."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import imaplib
import logging
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong import smtp
from sotong.cases.inbound import InboundMessage
from sotong.cases.models import Message
from sotong.channels.base import ChannelError, ProbeError, required
from sotong.channels.email import oauth
from sotong.channels.email.account import TIMEOUT, _port, _security, is_own_id, own_address
from sotong.channels.email.mime import imap_mailbox
from sotong.channels.email.oauth import Bearer, cached_only, uses_oauth
from sotong.channels.email.parse import parse_mail
from sotong.channels.intake import TakeInResult, take_in
from sotong.db import atomic
from sotong.errors import NotFound
from sotong.orgs.models import Channel, ChannelAccount
from sotong.outbox.models import OutboxItem
from sotong.secrets import open_config

log = logging.getLogger(__name__)

MAX_MESSAGES = 200  # a mailbox this far behind is a backlog to drain over several polls, not in one
FETCH_CHUNK = 25
UID_IN_FETCH = re.compile(rb"UID (\d+)")
INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


@dataclass
class PollResult:
    """One poll: what intake made of the mail, and the cursor it left."""

    taken: TakeInResult
    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class Mail:
    """One fetched mail: its UID, the raw message, and when the server received it (INTERNALDATE)."""

    uid: int
    raw: bytes
    arrived: dt.datetime | None


@dataclass
class Fetched:
    uidvalidity: int
    mails: list[Mail]  # ascending UID


def _imap(config: Mapping[str, Any], bearer: Bearer | None = None) -> imaplib.IMAP4:
    """A logged-in IMAP connection to the account's mailbox server: with the password, or (``auth`` =
    ``xoauth2``) with an access token from `bearer` (the cached one when not given), renewed once if refused."""
    token_login = uses_oauth(config)
    host = required(config, "imap_host", "email")
    security = _security(config, "imap_security", "tls")
    port = _port(config, "imap_port", 993 if security == "tls" else 143)
    context = ssl.create_default_context()
    conn = (
        imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=TIMEOUT)
        if security == "tls"
        else imaplib.IMAP4(host, port, timeout=TIMEOUT)
    )
    try:
        if security == "starttls":
            conn.starttls(ssl_context=context)
        user = str(config.get("imap_user") or own_address(config))
        if token_login:
            _xoauth2(conn, user, bearer or cached_only(config))
        else:
            conn.login(user, required(config, "imap_password", "email"))
    except BaseException:
        conn.shutdown()
        raise
    return conn


def probe_imap(config: Mapping[str, Any]) -> None:
    """Log in and open the mailbox read-only, as a poll does, reading no mail; raise ProbeError saying what failed."""
    try:
        conn = _imap(config)
    except ChannelError as exc:  # a setting missing or malformed (no password, an unknown security)
        raise ProbeError("channels.probe.email.incomplete", exc.message) from exc
    except imaplib.IMAP4.error as exc:
        raise ProbeError("channels.probe.email.imap_login", str(exc)) from exc
    except ssl.SSLError as exc:
        raise ProbeError("channels.probe.email.tls", str(exc)) from exc
    except OSError as exc:
        raise ProbeError("channels.probe.email.imap_unreachable", f"{type(exc).__name__}: {exc}") from exc
    try:
        mailbox = str(config.get("mailbox") or "INBOX")
        status, detail = conn.select(imap_mailbox(mailbox), readonly=True)
        if status != "OK":
            raise ProbeError("channels.probe.email.no_mailbox", repr(detail))
    except (imaplib.IMAP4.error, OSError) as exc:
        raise ProbeError("channels.probe.email.imap_unreachable", f"{type(exc).__name__}: {exc}") from exc
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()


def _xoauth2(conn: imaplib.IMAP4, user: str, bearer: Bearer) -> None:
    """AUTHENTICATE XOAUTH2; a refused token (expired early, revoked) is renewed once and tried again."""
    if "AUTH=XOAUTH2" not in conn.capabilities:
        # Said plainly rather than tried: a renewal cannot help a server that does not take tokens.
        raise ChannelError(
            f"email: the IMAP server offers no AUTHENTICATE XOAUTH2; check imap_host or set auth to password "
            f"(it offers {' '.join(conn.capabilities)})",
            permanent=True,
        )
    token = bearer(None)
    try:
        conn.authenticate("XOAUTH2", _responder(user, token))
    except imaplib.IMAP4.error:
        conn.authenticate("XOAUTH2", _responder(user, bearer(token)))


def _responder(user: str, token: str) -> Callable[[bytes], bytes]:
    """imaplib's callback: the XOAUTH2 response to the server's empty challenge; to the error challenge that
    servers send before refusing (JSON), the empty response XOAUTH2 asks for, so the refusal can come."""
    response = smtp.xoauth2_response(user, token).encode()
    return lambda challenge: b"" if challenge else response


def _ok(result: tuple[str, Any], what: str) -> Any:
    status, data = result
    if status != "OK":
        raise ChannelError(f"email: IMAP {what} failed: {data!r}")
    return data


def fetch_new(
    config: Mapping[str, Any], *, uidvalidity: int | None, last_uid: int, bearer: Bearer | None = None
) -> Fetched:
    """Mail with a UID above `last_uid` (all of it when the mailbox's UIDVALIDITY changed), oldest first."""
    try:
        conn = _imap(config, bearer)
    except imaplib.IMAP4.error as exc:
        # A refused login fails the same way until an admin fixes the password.
        raise ChannelError(f"email: IMAP login refused: {exc}", permanent=True) from exc
    except (OSError, ssl.SSLError) as exc:
        raise ChannelError(f"email: IMAP server unreachable: {type(exc).__name__}: {exc}") from exc
    try:
        mailbox = str(config.get("mailbox") or "INBOX")
        # Read-only: polling must not mark mail as read for the people who also work in this mailbox.
        _ok(conn.select(imap_mailbox(mailbox), readonly=True), f"SELECT {mailbox}")
        _, values = conn.response("UIDVALIDITY")
        current = int(values[0]) if values and values[0] else 0
        if uidvalidity is not None and current != uidvalidity:
            # The server renumbered the mailbox: re-read it all; intake knows every Message-ID already stored.
            log.warning("email: %s UIDVALIDITY changed %s → %s, re-reading", mailbox, uidvalidity, current)
            last_uid = 0
        found = _ok(conn.uid("SEARCH", "UID", f"{last_uid + 1}:*"), "UID SEARCH")
        # "n:*" always matches the newest message, even when its UID is below n.
        uids = sorted(uid for uid in (int(u) for u in b" ".join(found).split()) if uid > last_uid)[:MAX_MESSAGES]
        mails: list[Mail] = []
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = ",".join(str(uid) for uid in uids[start : start + FETCH_CHUNK])
            mails.extend(fetched_mails(_ok(conn.uid("FETCH", chunk, "(UID INTERNALDATE BODY.PEEK[])"), "UID FETCH")))
        mails.sort(key=lambda mail: mail.uid)
        return Fetched(uidvalidity=current, mails=mails)
    except imaplib.IMAP4.error as exc:
        raise ChannelError(f"email: IMAP error: {exc}") from exc
    except (OSError, ssl.SSLError) as exc:
        raise ChannelError(f"email: IMAP connection lost: {type(exc).__name__}: {exc}") from exc
    finally:
        # The server may already have hung up; there is nothing left to close politely then.
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()


def fetched_mails(response: list[Any]) -> list[Mail]:
    """The mails of an imaplib FETCH response: `(b'1 (UID 7 ... BODY[] {n}', raw)` followed by `b')'`.

    Servers may put UID and INTERNALDATE after the literal instead (`b' UID 7)'`), so both halves are read.
    """
    mails = []
    for index, item in enumerate(response):
        if not isinstance(item, tuple) or len(item) < 2:
            continue
        after = response[index + 1] if index + 1 < len(response) else b""
        meta = item[0] + b" " + (after if isinstance(after, bytes) else b"")
        if match := UID_IN_FETCH.search(meta):
            mails.append(Mail(uid=int(match.group(1)), raw=item[1], arrived=_arrived(meta)))
    return mails


def _arrived(response: bytes) -> dt.datetime | None:
    """The INTERNALDATE of a FETCH response (`22-Nov-2026 11:44:00 +0900`), None when absent or garbled."""
    match = INTERNALDATE.search(response)
    if match is None:
        return None
    try:
        return dt.datetime.strptime(match.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None


def _thread(session: Session, account_id: int, inbound: InboundMessage) -> InboundMessage:
    """A reply to our receipt or answer (its only reference is our Message-ID) threads to the case's first mail."""
    parent = inbound.in_reply_to_external_id
    if not parent or not is_own_id(parent):
        return inbound
    case_id = session.scalar(
        select(OutboxItem.case_id).where(OutboxItem.transport == "email", OutboxItem.external_ref == parent)
    )
    first = (
        session.scalar(select(Message.external_id).where(Message.case_id == case_id).order_by(Message.id).limit(1))
        if case_id is not None
        else None
    )
    session.rollback()
    return dataclasses.replace(inbound, in_reply_to_external_id=first) if first else inbound


def poll(session: Session, *, account_id: int) -> PollResult:
    """Fetch mail above the stored UID, take it in oldest first, then advance the cursor."""
    account = session.get(ChannelAccount, account_id)
    if account is None or account.channel is not Channel.email:
        raise NotFound(f"no email account {account_id}")
    config = open_config(account.config)  # secrets decrypted for the platform call only
    session.rollback()  # no transaction held open while the mail server answers
    stored_validity = config.get("uidvalidity")
    last_uid = int(config.get("last_uid") or 0)
    fetched = fetch_new(
        config,
        uidvalidity=int(stored_validity) if stored_validity is not None else None,
        last_uid=last_uid,
        bearer=oauth.bearer(session, account_id=account_id, config=config) if oauth.uses_oauth(config) else None,
    )
    if stored_validity is not None and int(stored_validity) != fetched.uidvalidity:
        last_uid = 0
    own = own_address(config)
    messages: list[InboundMessage] = []
    for mail in fetched.mails:
        try:
            inbound = parse_mail(mail.raw, own=own, arrived=mail.arrived)
        except Exception:  # one mail the parser chokes on must not stall the mailbox behind it
            log.exception("email %s: UID %s could not be parsed; skipped", account_id, mail.uid)
            continue
        if inbound is not None:
            messages.append(_thread(session, account_id, inbound))
    taken = take_in(session, account_id=account_id, messages=messages)
    newest = max([last_uid, *(mail.uid for mail in fetched.mails)])
    # The cursor moves only after every mail is stored: a crash in between re-reads them, harmlessly.
    with atomic(session):
        account = session.get(ChannelAccount, account_id)
        assert account is not None
        account.config = {**(account.config or {}), "uidvalidity": fetched.uidvalidity, "last_uid": newest}
    log.info("email %s: %s new, %s seen before, last UID %s", account_id, taken.stored, taken.duplicates, newest)
    return PollResult(taken=taken, uidvalidity=fetched.uidvalidity, last_uid=newest)
