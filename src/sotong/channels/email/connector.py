"""E-mail: a mailbox read over IMAP (see `email.poll`), answers sent over SMTP in the citizen's thread.

Account config (secrets sealed at rest, secrets.py):
``address`` (the mailbox's own address, also the From of answers), ``display_name``, ``imap_host``,
``imap_port``, ``imap_security`` (``tls`` default, ``starttls`` or ``none``), ``imap_user`` (default
``address``), ``imap_password``, ``mailbox`` (default ``INBOX``), ``smtp_host``, ``smtp_port``,
``smtp_security`` (``starttls`` default, ``tls`` or ``none``), ``smtp_user``, ``smtp_password`` (no login
when absent; with XOAUTH2 the login is ``smtp_user``, else ``address``). Hosted mailboxes (Microsoft 365, Gmail)
log in with OAuth 2.0 instead of passwords: ``auth`` = ``xoauth2`` with ``oauth_token_url``, ``oauth_client_id``,
``oauth_client_secret``, ``oauth_refresh_token`` and optionally ``oauth_scope`` (email/oauth.py). The poller
keeps ``uidvalidity``, ``last_uid``, ``last_poll_at``, ``last_error``, ``poll_after``.
"""

from __future__ import annotations

import datetime as dt
import random
import smtplib
import ssl
from collections.abc import Mapping
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong import smtp
from sotong.cases.inbound import InboundMessage
from sotong.cases.models import Message
from sotong.cases.wording import reply_text
from sotong.channels.base import (
    ChannelError,
    ChannelText,
    Connector,
    Polled,
    ProbeError,
    SampleAuthor,
    SetupField,
    required,
)
from sotong.channels.email import oauth
from sotong.channels.email.account import (
    ADDRESS_FIELDS,
    IMAP_FIELDS,
    OAUTH_FIELDS,
    SMTP_FIELDS,
    TIMEOUT,
    _port,
    _security,
    own_address,
    own_message_id,
)
from sotong.channels.email.mime import (
    subject_without_prefix,
)
from sotong.channels.email.oauth import Bearer, uses_oauth
from sotong.channels.email.parse import parse_mails
from sotong.channels.email.poll import poll, probe_imap
from sotong.outbox.transports import Delivery


class EmailConnector(Connector):
    """Mail in (polled over IMAP, see `email.poll`), answers out over SMTP threaded to the citizen's mail."""

    name: ClassVar[str] = "email"
    private: ClassVar[bool] = True  # a reply reaches the citizen alone
    public_group: ClassVar[str] = "email"
    secret_fields: ClassVar[tuple[str, ...]] = (
        "imap_password",
        "smtp_password",
        "oauth_client_secret",
        "oauth_refresh_token",
    )
    setup_fields: ClassVar[tuple[SetupField, ...]] = (
        *ADDRESS_FIELDS,
        *IMAP_FIELDS,
        *SMTP_FIELDS,
        *OAUTH_FIELDS,
    )
    probes: ClassVar[bool] = True
    polls: ClassVar[bool] = True

    def probe(self, config: Mapping[str, Any]) -> None:
        """IMAP: log in and open the mailbox read-only; SMTP: connect, log in and say goodbye. No mail is read,
        marked or sent."""
        if not str(config.get("address") or "").strip():
            raise ProbeError("channels.probe.email.incomplete", "address")
        probe_imap(config)
        try:
            with self._smtp(config) as server:
                server.noop()
        except ChannelError as exc:
            raise ProbeError("channels.probe.email.incomplete", exc.message) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise ProbeError("channels.probe.email.smtp_login", str(exc)) from exc
        except ssl.SSLError as exc:
            raise ProbeError("channels.probe.email.tls", str(exc)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ProbeError("channels.probe.email.smtp_unreachable", f"{type(exc).__name__}: {exc}") from exc

    def parse(self, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
        """Raw RFC 5322 messages (bytes) → messages; our own mail, auto-replies and bounces are left out."""
        return parse_mails(config, payload)

    def poll(self, session: Session, *, account_id: int) -> Polled:
        """Mail newer than the last UID taken in, over IMAP."""
        return poll(session, account_id=account_id)

    def preview(self, delivery: Delivery) -> ChannelText:
        """The whole answer in the reply mail's body."""
        text = reply_text(delivery) + "\n"
        return ChannelText(self.name, text, len(text), None, "none", False)

    def sample_author(self, rng: random.Random, *, name: str, phone: str, word: str) -> SampleAuthor:
        """An address, which is also where the answer goes."""
        address = f"{word}.{rng.randrange(10, 999)}@example.com"
        return SampleAuthor(handle=address, name=name, contact={"email": address})

    def sample_message_id(self, rng: random.Random, *, received: dt.datetime, serial: int) -> str:
        """A Message-ID."""
        return f"<{rng.getrandbits(64):016x}@mail.example.com>"

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Mail the receipt or answer in the citizen's thread; returns its (deterministic) Message-ID."""
        original = self._original(delivery, session=session)
        config = self.account_config(delivery, session=session)
        contact = delivery.payload.get("contact")
        to = (contact.get("email") if isinstance(contact, Mapping) else None) or delivery.recipient
        if not isinstance(to, str) or "@" not in to:
            raise ChannelError(f"email: no address to answer case {delivery.case_id}", permanent=True)
        try:
            mail = self.compose(delivery, config=config, to=to, original=original)
        except (ValueError, TypeError) as exc:  # an address or header the mail format cannot carry
            raise ChannelError(f"email: cannot write the mail to {to!r}: {exc}", permanent=True) from exc
        account_id = delivery.payload.get("channel_account_id")
        token = (
            oauth.bearer(session, account_id=account_id, config=config)
            if uses_oauth(config) and isinstance(account_id, int)
            else None
        )
        try:
            with self._smtp(config, token) as server:
                refused = server.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(f"{code} {reason.decode(errors='replace')}" for code, reason in exc.recipients.values())
            raise ChannelError(f"email: recipient refused: {detail}", permanent=all(c >= 500 for c in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            # 4xx is the server saying "later" (greylisting, full queue); 5xx will fail the same way again.
            raise ChannelError(f"email: SMTP {exc.smtp_code} {text}", permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"email: SMTP server unreachable: {type(exc).__name__}: {exc}") from exc
        if refused:
            raise ChannelError(f"email: recipient refused: {refused}", permanent=True)
        return str(mail["Message-ID"]).strip()

    def _original(self, delivery: Delivery, *, session: Session) -> dict[str, Any]:
        """The raw headers of the citizen's mail being answered (subject, references), read from intake's copy."""

        reply_to = delivery.payload.get("in_reply_to_external_id")
        if not isinstance(reply_to, str) or delivery.case_id is None:
            return {}
        message = session.scalars(
            select(Message).where(Message.case_id == delivery.case_id, Message.external_id == reply_to).limit(1)
        ).first()
        return dict(message.raw or {}) if message is not None else {"message_id": reply_to}

    def compose(
        self, delivery: Delivery, *, config: Mapping[str, Any], to: str, original: Mapping[str, Any]
    ) -> EmailMessage:
        """The reply mail: Re: subject, In-Reply-To/References to the citizen's mail, UTF-8 text with the link."""
        sender = own_address(config)
        mail = EmailMessage(policy=policy.SMTP)
        mail["From"] = (
            formataddr((str(config.get("display_name") or ""), sender)) if config.get("display_name") else sender
        )
        mail["To"] = Address(addr_spec=to) if "@" in to else to
        number = str(delivery.payload.get("case_number") or "")
        topic = subject_without_prefix(str(original.get("subject") or ""))
        mail["Subject"] = f"Re: {topic}" if topic else f"[{number}] 민원 처리 안내"
        mail["Date"] = format_datetime(dt.datetime.now(dt.UTC))
        mail["Message-ID"] = own_message_id(delivery.idempotency_key, sender)
        parent = original.get("message_id") or delivery.payload.get("in_reply_to_external_id")
        if isinstance(parent, str) and parent:
            earlier = [ref for ref in original.get("references") or [] if isinstance(ref, str)]
            mail["In-Reply-To"] = parent
            mail["References"] = " ".join([*earlier, parent][-20:])  # clients cap long chains; so do we
        if delivery.kind == "receipt":
            mail["Auto-Submitted"] = "auto-replied"  # RFC 3834: the citizen's autoresponder must not answer it
        mail["X-Sotong-Case"] = number
        mail.set_content(reply_text(delivery) + "\n", charset="utf-8")
        return mail

    def _smtp(self, config: Mapping[str, Any], bearer: Bearer | None = None) -> smtplib.SMTP:
        """A connected, authenticated SMTP session for the account: with the password, or (``auth`` =
        ``xoauth2``) with an access token from `bearer`, renewed once if the server refuses it."""
        security = _security(config, "smtp_security", "starttls")
        oauth_login = uses_oauth(config)
        # An XOAUTH2 mailbox always signs in, as itself unless told otherwise; a password one only with a user.
        user = str(config.get("smtp_user") or (own_address(config) if oauth_login else "")) or None

        def connect(token: str | None) -> smtplib.SMTP:
            return smtp.connect(
                host=required(config, "smtp_host", "email"),
                port=_port(config, "smtp_port", smtp.default_port(security)),
                security=security,
                user=user,
                password=str(config.get("smtp_password") or ""),
                timeout=TIMEOUT,
                bearer_token=token,
            )

        if not oauth_login:
            return connect(None)
        if bearer is None:
            bearer = oauth.cached_only(config)  # the set-up probe: it tries the stored token, renews nothing
        token = bearer(None)
        try:
            return connect(token)
        except smtplib.SMTPAuthenticationError:
            return connect(bearer(token))  # expired early or revoked: one renewal, one more try
        except smtplib.SMTPNotSupportedError as exc:
            raise ChannelError(f"email: {exc}; check smtp_host or set auth to password", permanent=True) from exc
