"""A message as a channel hands it to intake: the contract between channels/ (which parse platforms) and
cases/actions/intake.py (which stores each message once and opens or follows up its case).

Every channel builds one of these, so this is where a citizen's text is made storable, once: a NUL character
(PostgreSQL stores none; a webhook carrying one failed on every redelivery) is dropped and a lone surrogate
(`"\\ud800"` in JSON, not encodable as UTF-8) becomes U+FFFD, in every text field and throughout `raw`. What may
end up in a mail header (the author's name and handle, the contact address and number, the mail subject) is made
one line: a CR or LF there made every answer by e-mail fail, eight attempts each. Nothing else changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """`text` without NUL characters and with lone surrogates replaced (no copy when there is nothing to do)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join(REPLACEMENT if "\ud800" <= char <= "\udfff" else char for char in text)
    return text


def one_line(text: str) -> str:
    """`text` with every run of whitespace (CR, LF, tabs, U+2028 ...) as one space: safe in a mail header."""
    return " ".join(storable(text).split())


def storable_data(value: Any) -> Any:
    """`storable` through a JSON document's strings and keys."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(k) if isinstance(k, str) else k: storable_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_data(v) for v in value]
    return value


# A private chat (KakaoTalk, TalkTalk) opens its case private, as 국민신문고 does, and its receipt asks the citizen
# whether it may be published: until they answer 공개 it stays private (`citizen_private`) and nobody can release
# it. Kept in the message's `raw` as well (under VISIBILITY_KEY), so a conversation's case opened later keeps it.
DEFAULT_PRIVATE = "default_private"
VISIBILITY_KEY = "sotong_visibility"  # not "visibility": Mastodon's raw body has its own


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
    # The citizen's own choice where the channel asks (the web form): "public", "private" (비공개: never
    # published) or "whistleblower" (공익신고: private from the first second); None where nobody asked.
    # DEFAULT_PRIVATE where the channel itself is private and asks after the receipt (Kakao, TalkTalk).
    visibility: str | None = None
    # Photos on the platform, downloaded into `attachments` when the message is taken in (channels/media.py).
    media_urls: tuple[str, ...] = ()
    # The platform's own media hosts, the only ones `media_urls` are fetched from (channels/intake/media.py).
    media_hosts: tuple[str, ...] = ()
    # A chat bubble (TalkTalk, Messenger, a Kakao utterance, a Mastodon DM): gathered with the author's other
    # bubbles into one conversation, and one case when it falls silent (cases/actions/conversations.py).
    chat: bool = False

    def __post_init__(self) -> None:
        for name in ("external_id", "text", "in_reply_to_external_id", "address"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, storable(value))
        for name in ("author_handle", "author_name"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, one_line(value))
        raw = storable_data(self.raw)
        if isinstance(raw.get("subject"), str):
            raw["subject"] = one_line(raw["subject"])
        object.__setattr__(self, "raw", raw)
        contact = {k: one_line(v) if isinstance(v, str) else v for k, v in self.contact.items()}
        object.__setattr__(self, "contact", contact)
        object.__setattr__(self, "media_urls", tuple(storable(url) for url in self.media_urls))
