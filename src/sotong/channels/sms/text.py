"""SMS or LMS, and how long: Korean carriers count bytes in EUC-KR (Hangul 2, ASCII 1), not characters.

SMS carries at most 90 bytes (45 Hangul syllables); anything longer goes as LMS, at most 2,000 bytes with a
subject of at most 40. A character EUC-KR cannot encode (emoji, most non-Korean scripts) makes the carrier
refuse the whole message, so such characters are replaced before counting.
"""

from __future__ import annotations

from dataclasses import dataclass

SMS_BYTES = 90
LMS_BYTES = 2000
SUBJECT_BYTES = 40
REPLACEMENT = "?"


@dataclass(frozen=True)
class SmsMessage:
    """One text message as the gateway sends it."""

    type: str  # "SMS" or "LMS"
    content: str
    subject: str | None = None


def carrier_safe(text: str) -> str:
    """`text` with every character EUC-KR cannot encode replaced (one emoji would fail the whole send)."""
    out = []
    for char in text:
        try:
            char.encode("euc-kr")
        except UnicodeEncodeError:
            char = REPLACEMENT
        out.append(char)
    return "".join(out)


def unsendable(text: str) -> str:
    """The distinct characters of `text` that EUC-KR cannot encode (they would go as "?"), in order."""
    found: dict[str, None] = {}
    for char in text:
        try:
            char.encode("euc-kr")
        except UnicodeEncodeError:
            found[char] = None
    return "".join(found)


def byte_length(text: str) -> int:
    """The length carriers bill: bytes in EUC-KR."""
    return len(carrier_safe(text).encode("euc-kr"))


def cut(text: str, limit: int, tail: str = "") -> str:
    """The longest start of `text` that fits `limit` EUC-KR bytes together with `tail`."""
    if byte_length(text) <= limit:
        return text
    room = limit - byte_length(tail)
    kept, used = [], 0
    for char in text:
        size = byte_length(char)
        if used + size > room:
            break
        kept.append(char)
        used += size
    return "".join(kept).rstrip() + tail


def plan_message(text: str, *, url: str = "", subject: str | None = None) -> SmsMessage:
    """SMS when the text fits 90 bytes, else LMS; past 2,000 bytes cut, ending with the link to the full text."""
    text = carrier_safe(text.strip())
    if byte_length(text) <= SMS_BYTES:
        return SmsMessage(type="SMS", content=text)
    tail = f"… {url}" if url else "…"
    title = cut(carrier_safe(subject), SUBJECT_BYTES) if subject else None
    return SmsMessage(type="LMS", content=cut(text, LMS_BYTES, tail), subject=title)
