"""How X counts a tweet's length and finds its links, through twitter-text itself (PyPI `twitter-text-parser`).

X checks a tweet with twitter-text v3: a "weighted length" of at most 280 in which Hangul, CJK, kana and emoji
count 2, and every URL twitter-text recognises counts 23 whatever its length (X wraps it in a t.co link). No
copy of those rules lives here: a copy drifts (compatibility jamo, CJK punctuation, emoji sequences, which hosts
count as links) and then the product and X disagree about what fits. A link is only what twitter-text extracts:
its path ends at the first character twitter-text does not accept (Hangul among them), so every link X is to
see is made ASCII first (`ascii_url`).
"""

from __future__ import annotations

import unicodedata

from twitter_text import extract_urls_with_indices, parse_tweet

from sotong.channels.base import ascii_url

MAX_WEIGHTED_LENGTH = 280
__all__ = ["MAX_WEIGHTED_LENGTH", "ascii_url", "links", "shorten", "weighted_length"]


def weighted_length(text: str) -> int:
    """The length X checks against 280, as twitter-text computes it."""
    return int(parse_tweet(text).weightedLength)


def links(text: str) -> list[str]:
    """The URLs X will wrap in t.co links (what twitter-text extracts), in order."""
    return [str(found["url"]) for found in extract_urls_with_indices(text)]


def shorten(text: str, url: str, limit: int = MAX_WEIGHTED_LENGTH) -> str:
    """`text` if it fits; otherwise its beginning, cut at a character, then "…" and the link to the full text."""
    text = unicodedata.normalize("NFC", text)
    if weighted_length(text) <= limit:
        return text
    body = text.replace(url, "").rstrip() if url else text
    tail = f"… {url}" if url else "…"

    def fits(kept: int) -> bool:
        return weighted_length(body[:kept].rstrip() + tail) <= limit

    # The weighted length of a prefix nearly always grows with it (a link cut short may stop being one and count
    # its characters instead of 23), so bisection finds the longest prefix that fits, and a walk back makes sure.
    low, high = 0, len(body)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    while low > 0 and not fits(low):
        low -= 1
    return body[:low].rstrip() + tail
