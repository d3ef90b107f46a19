"""Fitting text into a platform's limit: cut, ending with the link to the whole of it."""

from __future__ import annotations


def fit(text: str, limit: int, url: str) -> str:
    """Shorten `text` to `limit` characters, ending with the link to the full text when something was cut."""
    if len(text) <= limit:
        return text
    tail = f"… {url}" if url else "…"
    return text[: max(limit - len(tail), 0)].rstrip() + tail
