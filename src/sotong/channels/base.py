"""What every channel hands to intake: a platform-neutral inbound message."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class InboundAttachment:
    data: bytes
    filename: str | None = None
    content_type: str | None = None  # as declared by the sender; intake sniffs the real type


@dataclass(frozen=True)
class InboundMessage:
    """One citizen message, as a channel connector parsed it."""

    external_id: str
    text: str
    received_at: dt.datetime
    author_handle: str | None = None
    author_name: str | None = None
    in_reply_to_external_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[InboundAttachment, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    contact: dict[str, str] = field(default_factory=dict)  # phone / e-mail for SMS or e-mail answers
