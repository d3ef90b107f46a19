"""E-mail: a mailbox read over IMAP (see `email.poll`), answers sent over SMTP in the citizen's thread.

Account config (plain text in this first slice, like every channel; encryption at rest comes later):
``address`` (the mailbox's own address, also the From of answers), ``display_name``, ``imap_host``,
``imap_port``, ``imap_security`` (``tls`` default, ``starttls`` or ``none``), ``imap_user`` (default
``address``), ``imap_password``, ``mailbox`` (default ``INBOX``), ``smtp_host``, ``smtp_port``,
``smtp_security`` (``starttls`` default, ``tls`` or ``none``), ``smtp_user``, ``smtp_password`` (no login
when absent). The poller keeps ``uidvalidity``, ``last_uid``, ``last_poll_at``, ``last_error``, ``poll_after``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import smtplib
from collections.abc import Mapping
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong import smtp
from sotong.cases.actions import MAX_TEXT_LENGTH
from sotong.cases.attachments import sniff_image_type
from sotong.cases.inbound import InboundAttachment, InboundMessage
from sotong.channels.base import ChannelError, Connector, MalformedPayload, required
from sotong.channels.email.mime import (
    body_text,
    header,
    message_ids,
    sent_at,
    subject_without_prefix,
    trim_reply,
)
from sotong.channels.render import reply_text
from sotong.db import utcnow
from sotong.outbox.transports import Delivery
from sotong.settings import get_settings

TIMEOUT = 20.0
MAX_TEXT = MAX_TEXT_LENGTH  # intake's limit: a long mail is cut rather than refused
OWN_ID_PREFIX = "<sotong."  # the Message-IDs we give our own receipts and answers


def own_address(config: Mapping[str, Any]) -> str:
    """The mailbox's own address, lower-cased: the From of our answers, never taken in as a complaint."""
    return required(config, "address", "email").strip().lower()


def is_own_id(message_id: str) -> bool:
    """Whether a Message-ID is one Sotong gave to a mail it sent."""
    return message_id.startswith(OWN_ID_PREFIX)


def own_message_id(idempotency_key: str, address: str) -> str:
    """The Message-ID of an outbox item: the same on every attempt, so a retried send is recognisable."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = address.rpartition("@")[2] or "sotong.invalid"
    return f"{OWN_ID_PREFIX}{digest}@{domain}>"


def _security(config: Mapping[str, Any], key: str, default: str) -> str:
    value = str(config.get(key) or default).lower()
    if value not in smtp.SECURITIES:
        raise ChannelError(f"email: {key} must be one of {', '.join(smtp.SECURITIES)}, not {value!r}", permanent=True)
    return value


def _port(config: Mapping[str, Any], key: str, default: int) -> int:
    value = config.get(key) or default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ChannelError(f"email: {key} is not a port: {value!r}", permanent=True) from None


class EmailConnector(Connector):
    """Mail in (polled over IMAP, see `email.poll`), answers out over SMTP threaded to the citizen's mail."""

    name: ClassVar[str] = "email"
    private: ClassVar[bool] = True  # a reply reaches the citizen alone

    def parse(self, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
        """Raw RFC 5322 messages (bytes) → messages; our own mail, auto-replies and bounces are left out."""
        if not isinstance(payload, list | tuple) or not all(isinstance(item, bytes) for item in payload):
            raise MalformedPayload("email: expected a list of raw messages (bytes)")
        own = own_address(config)
        messages = []
        for raw in payload:
            inbound = self.parse_one(raw, own=own)
            if inbound is not None:
                messages.append(inbound)
        return messages

    def parse_one(self, raw: bytes, *, own: str, arrived: dt.datetime | None = None) -> InboundMessage | None:
        """One raw mail as a message, or None when it is not a citizen's (ours, automatic, empty).

        `arrived` is when our server received it (IMAP INTERNALDATE); the sender's Date header is only a fallback.
        """
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        name, address = parseaddr(header(message, "From"))
        address = address.strip().lower()
        _, reply_to = parseaddr(header(message, "Reply-To"))
        answer_to = reply_to.strip().lower() if "@" in reply_to else address
        if not address or address == own:
            return None  # our own answer (a Sent copy, a Bcc) must never become a complaint
        if header(message, "Auto-Submitted").lower() not in ("", "no") or message.get_content_type() == (
            "multipart/report"
        ):
            return None  # out-of-office replies and bounces to our receipts would loop
        ids = message_ids(header(message, "Message-ID"))
        # A mail without a Message-ID still needs a stable id, or a re-read would store it twice.
        external_id = ids[0] if ids else f"<sha256.{hashlib.sha256(raw).hexdigest()[:40]}@sotong.invalid>"
        in_reply_to = message_ids(header(message, "In-Reply-To"))
        references = message_ids(header(message, "References"))
        # The citizen's own earlier mail threads the case directly; our receipt's id only through the outbox.
        candidates = [*in_reply_to, *reversed(references)]
        theirs = [mid for mid in candidates if not is_own_id(mid)]
        parent = theirs[0] if theirs else (candidates[0] if candidates else None)
        subject = header(message, "Subject")
        full = body_text(message)
        text = trim_reply(full) if parent else full
        topic = subject_without_prefix(subject)
        if topic and not parent and not text.startswith(topic):
            text = f"{topic}\n\n{text}".strip()
        attachments, others = self._attachments(message)
        if not text and not attachments:
            return None
        return InboundMessage(
            external_id=external_id[:200],
            text=text[:MAX_TEXT],
            # The statutory deadline runs from arrival at the office, not from a Date header the sender wrote.
            received_at=arrived or sent_at(message, utcnow()),
            author_handle=address[:200],
            author_name=name.strip() or None,
            in_reply_to_external_id=parent[:200] if parent else None,
            contact={"email": answer_to},  # the citizen's Reply-To, when they asked for answers elsewhere
            attachments=tuple(attachments),
            raw={
                "message_id": external_id,
                "subject": subject,
                "from": header(message, "From"),
                "to": header(message, "To"),
                "date": header(message, "Date"),
                "in_reply_to": in_reply_to,
                "references": references,
                "text": full[: MAX_TEXT * 2],  # quotes and signature included, for the record
                "attachments": others,
            },
        )

    def _attachments(self, message: EmailMessage) -> tuple[list[InboundAttachment], list[dict[str, Any]]]:
        """Photos intake can store, and a record of everything else (documents, oversize or extra images)."""
        settings = get_settings()
        body = message.get_body(preferencelist=("plain", "html"))
        images: list[InboundAttachment] = []
        others: list[dict[str, Any]] = []
        for part in message.walk():
            if part.is_multipart() or part is body:
                continue
            data = part.get_payload(decode=True)
            if not isinstance(data, bytes):
                continue
            filename = part.get_filename()
            content_type = part.get_content_type()
            if not filename and part.get_content_maintype() == "text" and part.get_content_disposition() is None:
                continue  # the other alternative of the body (HTML beside the plain text)
            acceptable = (
                part.get_content_maintype() == "image"
                and len(data) <= settings.max_attachment_bytes
                and sniff_image_type(data) is not None
                and len(images) < settings.max_attachments
            )
            if acceptable:
                images.append(InboundAttachment(data=data, filename=filename, content_type=content_type))
            else:
                others.append({"filename": filename, "content_type": content_type, "size": len(data)})
        return images, others

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
        try:
            with self._smtp(config) as server:
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
        from sotong.cases.models import Message  # cases import channels.base; read lazily to avoid a cycle

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

    def _smtp(self, config: Mapping[str, Any]) -> smtplib.SMTP:
        """A connected, authenticated SMTP session for the account."""
        security = _security(config, "smtp_security", "starttls")
        user = config.get("smtp_user")
        return smtp.connect(
            host=required(config, "smtp_host", "email"),
            port=_port(config, "smtp_port", smtp.default_port(security)),
            security=security,
            user=str(user) if user else None,
            password=str(config.get("smtp_password") or ""),
            timeout=TIMEOUT,
        )
