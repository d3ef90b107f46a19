"""The citizen's tracking link: the case page, with a token that lets them rate and ask a follow-up.

The token in the link is an HMAC of the case number and the case's citizen token under the deployment's secret
key, not the citizen token itself: links end up in browser histories and proxy logs, and a leaked link should
not hand out the token the API and the web receipt show. Either one opens the rating and follow-up forms.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from sotong.settings import get_settings


def link_token(*, case_number: str, citizen_token: str, secret_key: str | None = None) -> str:
    """The token of a tracking link (22 URL-safe characters)."""
    key = (secret_key or get_settings().secret_key).encode()
    digest = hmac.new(key, f"tracking-link:{case_number}:{citizen_token}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def tracking_url(*, case_number: str, citizen_token: str | None, private: bool, base_url: str | None = None) -> str:
    """The case page link for a receipt or an answer; with the citizen's token only on a private transport.

    A reply on X, Mastodon or a Facebook comment is public, so the link there carries no token (the citizen
    keeps the one from a private receipt); each transport says which it is (`Transport.private`).
    """
    url = f"{base_url or get_settings().base_url}/cases/{case_number}"
    if private and citizen_token:
        url += f"?t={link_token(case_number=case_number, citizen_token=citizen_token)}"
    return url


def verify(*, case_number: str, citizen_token: str | None, presented: str | None) -> bool:
    """Whether `presented` proves the citizen: the receipt's token itself or a tracking link's token."""
    if not citizen_token or not presented:
        return False
    presented = presented.strip()
    expected = link_token(case_number=case_number, citizen_token=citizen_token)
    given = presented.encode("utf-8", "replace")  # any text at all: "토큰" or a lone surrogate is simply wrong
    return hmac.compare_digest(given, expected.encode()) or hmac.compare_digest(given, citizen_token.encode())


def same_token(stored: str | None, presented: str) -> bool:
    """Whether `presented` is the receipt's citizen token itself (constant time; any text is only a mismatch)."""
    return bool(stored) and hmac.compare_digest(str(stored).encode(), presented.encode("utf-8", "replace"))
