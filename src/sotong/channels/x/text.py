"""How X counts a tweet's length (twitter-text v3 "weighted length"), and shortening an answer to fit.

twitter-text v3 (config ``v3.json``): a code point weighs 100 when it falls in one of the ranges below and
200 otherwise, out of a scale of 100, so Latin, digits and common punctuation count 1 and Hangul, CJK, kana
and emoji count 2. Every URL counts as ``transformedURLLength`` = 23, whatever its length (X wraps it in a
t.co link). The text is NFC-normalised first. Simplifications, all on the safe side (we may count more than
X, never less): URLs are recognised only with an explicit ``http(s)://`` scheme, and an emoji sequence joined by
ZWJ is counted code point by code point instead of as one emoji.
"""

from __future__ import annotations

import re
import unicodedata

MAX_WEIGHTED_LENGTH = 280
URL_LENGTH = 23
# (first, last, weight) from twitter-text's v3 config; everything else weighs DEFAULT_WEIGHT.
RANGES = ((0x0000, 0x10FF, 100), (0x2000, 0x200D, 100), (0x2010, 0x201F, 100), (0x2032, 0x2037, 100))
DEFAULT_WEIGHT = 200
SCALE = 100
URL_RE = re.compile(r"https?://[^\s<>\"]+")


def char_weight(char: str) -> int:
    """One code point's weight, in units of SCALE."""
    point = ord(char)
    for first, last, weight in RANGES:
        if first <= point <= last:
            return weight
    return DEFAULT_WEIGHT


def _weight(text: str) -> int:
    return sum(char_weight(c) for c in text)


def weighted_length(text: str) -> int:
    """The length X checks against 280: URLs 23 each, Hangul/CJK 2, Latin 1."""
    text = unicodedata.normalize("NFC", text)
    total, position = 0, 0
    for match in URL_RE.finditer(text):
        total += _weight(text[position : match.start()]) + URL_LENGTH * SCALE
        position = match.end()
    total += _weight(text[position:])
    return (total + SCALE - 1) // SCALE


def shorten(text: str, url: str, limit: int = MAX_WEIGHTED_LENGTH) -> str:
    """`text` if it fits; otherwise its beginning, cut at a character, then "…" and the link to the full text."""
    text = unicodedata.normalize("NFC", text)
    if weighted_length(text) <= limit:
        return text
    body = text.replace(url, "").rstrip() if url else text
    tail = f"… {url}" if url else "…"
    budget = limit * SCALE - weighted_length(tail) * SCALE
    kept, used = [], 0
    for char in body:
        used += char_weight(char)
        if used > budget:
            break
        kept.append(char)
    # A URL in the kept part counts 23 however long it is: recount and trim until the whole fits.
    while kept and weighted_length("".join(kept).rstrip() + tail) > limit:
        kept.pop()
    return "".join(kept).rstrip() + tail
