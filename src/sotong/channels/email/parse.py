"""A citizen's e-mail (raw RFC 5322 bytes) turned into an inbound message: our own mail, auto-replies and
bounces left out, the reply quote trimmed, photos kept."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any

from sotong.cases.attachments import sniff_image_type
from sotong.cases.inbound import InboundAttachment, InboundMessage
from sotong.channels.base import MalformedPayload
from sotong.channels.email.account import MAX_TEXT, is_own_id, own_address
from sotong.channels.email.mime import (
    body_text,
    header,
    message_ids,
    sent_at,
    subject_without_prefix,
    trim_reply,
)
from sotong.db import utcnow
from sotong.settings import get_settings


def parse_mails(config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
    """Raw RFC 5322 messages (bytes) → messages; our own mail, auto-replies and bounces are left out."""
    if not isinstance(payload, list | tuple) or not all(isinstance(item, bytes) for item in payload):
        raise MalformedPayload("email: expected a list of raw messages (bytes)")
    own = own_address(config)
    messages = []
    for raw in payload:
        inbound = parse_mail(raw, own=own)
        if inbound is not None:
            messages.append(inbound)
    return messages


def parse_mail(raw: bytes, *, own: str, arrived: dt.datetime | None = None) -> InboundMessage | None:
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
    attachments, others = _attachments(message)
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


def _attachments(message: EmailMessage) -> tuple[list[InboundAttachment], list[dict[str, Any]]]:
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
