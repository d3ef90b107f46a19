"""A message as a channel hands it to intake: the contract between channels/ (which parse platforms) and
cases/actions/intake.py (which stores each message once and opens or follows up its case)."""

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
    # Photos on the platform, downloaded into `attachments` when the message is taken in (channels/media.py).
    media_urls: tuple[str, ...] = ()
