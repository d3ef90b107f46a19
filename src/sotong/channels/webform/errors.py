"""Refusals of the web form, each with a catalogue key so the citizen reads the reason in their language."""

from __future__ import annotations

from typing import Any

from sotong.errors import InvalidInput, SotongError
from sotong.i18n import translate


class FormError(InvalidInput):
    """Something the citizen can fix (a photo, a field): the form is shown again with their values."""

    def __init__(self, key: str, *, status: int = 422, **values: Any) -> None:
        super().__init__(translate("ko", key, **values))  # Korean text also for the API and the log
        self.key = key
        self.values = values
        self.http_status = status


class SpamRefused(FormError):
    """The submission looks automated or abusive (honeypot, too fast, too many links, repeated text)."""

    code = "spam"


class RateLimited(FormError):
    """Too many submissions from one address within the window."""

    code = "rate_limited"

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key, status=429, **values)


def localised(exc: SotongError, lang: str) -> str:
    """The error's text in `lang` for our own refusals, the domain's message otherwise."""
    if isinstance(exc, FormError):
        return translate(lang, exc.key, **exc.values)
    return exc.message
