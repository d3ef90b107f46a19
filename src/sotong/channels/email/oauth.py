"""Logging in to a hosted mailbox with OAuth 2.0 (SASL XOAUTH2): Microsoft 365 and Gmail refuse passwords.

The account keeps the app's client id and secret, the token endpoint and a refresh token (given once, when an
administrator signed the mailbox in); Sotong gets access tokens with the refresh-token grant (RFC 6749 section 6)
and keeps the current one, sealed, until five minutes before it expires. IMAP (`AUTHENTICATE XOAUTH2`) and SMTP
(`AUTH XOAUTH2`) use the same token: Microsoft's and Google's mail scopes cover both.

Renewal works as X's does (x/tokens.py): under the account row's lock, the new access token, the new refresh token
(Microsoft rotates it: the old one stops working) and the expiry are written in the transaction that holds it, so a
second worker waiting on the lock finds the token renewed instead of spending a refresh token that is dead. A
log-in the server refuses is answered by one renewal and one more try. A renewal the token endpoint refuses (the
consent revoked, the refresh token expired or already used) leaves the account needing a new sign-in: its health
says so ("sign-in needed", shown in Korean on the admin pages) and every log-in fails for good until an
administrator stores a new refresh token.

Account config: ``auth`` (``password``, the default, or ``xoauth2``), ``oauth_token_url`` (Microsoft:
``https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token``, Google: ``https://oauth2.googleapis.com/token``),
``oauth_client_id``, ``oauth_client_secret`` (secret), ``oauth_refresh_token`` (secret), ``oauth_scope``
(optional, sent with each renewal: Microsoft wants the scopes the mailbox consented to); kept by this module:
``oauth_access_token`` (secret) and ``token_expires_at``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from sqlalchemy.orm import Session

from sotong.channels.base import ChannelError, required
from sotong.channels.health import SIGN_IN_NEEDED
from sotong.channels.renewal import RefreshRefused, renew_under_lock
from sotong.db import utcnow

AUTH_METHODS = ("password", "xoauth2")
TIMEOUT = httpx.Timeout(10.0)
DEFAULT_LIFETIME = 3600  # seconds, when the token endpoint does not say
# Renew a little before the announced expiry: a log-in with a token in its last seconds would be refused anyway,
# and a poll or an IDLE started with it must not fail halfway.
MARGIN = dt.timedelta(minutes=5)

# Given the token the server refused (None: none refused yet), the token to log in with.
Bearer = Callable[[str | None], str]


def uses_oauth(config: Mapping[str, Any]) -> bool:
    """Whether the account logs in with XOAUTH2 (else with its passwords)."""
    method = str(config.get("auth") or "password").lower()
    if method not in AUTH_METHODS:
        raise ChannelError(f"email: auth must be one of {', '.join(AUTH_METHODS)}, not {method!r}", permanent=True)
    return method == "xoauth2"


def cached_token(config: Mapping[str, Any], *, now: dt.datetime | None = None) -> str | None:
    """The stored access token while it has more than MARGIN left, else None."""
    token = config.get("oauth_access_token")
    expires = _instant(config.get("token_expires_at"))
    if not isinstance(token, str) or not token or expires is None:
        return None
    return token if expires - MARGIN > (now or utcnow()) else None


def bearer(session: Session, *, account_id: int, config: Mapping[str, Any]) -> Bearer:
    """The account's token source for one poll or send: the cached token first, a renewal after a refusal."""

    def token(stale: str | None) -> str:
        if stale is None and (cached := cached_token(config)):
            return cached
        return refreshed_token(session, account_id=account_id, stale=stale)

    return token


def cached_only(config: Mapping[str, Any]) -> Bearer:
    """A token source that never renews (the IDLE watcher, which polls, and so renews, before each IDLE)."""

    def token(stale: str | None) -> str:
        cached = cached_token(config)
        if stale is not None or cached is None:
            raise ChannelError("email: no valid access token is stored; the next poll renews it")
        return cached

    return token


def refreshed_token(session: Session, *, account_id: int, stale: str | None) -> str:
    """A valid access token, renewed with the stored refresh token unless another worker already did.

    `stale` is the token a server refused (None: there was no valid one to try).
    """
    return renew_under_lock(
        session,
        channel="email",
        account_id=account_id,
        stale=stale,
        current=cached_token,
        renew=_renew,
        token_key="oauth_access_token",
    )


def _renew(config: Mapping[str, Any]) -> dict[str, str]:
    """One refresh-token grant: the new access token, its expiry, and the rotated refresh token if one came."""
    refresh_token = str(config.get("oauth_refresh_token") or "")
    if not refresh_token:
        raise RefreshRefused(f"email: {SIGN_IN_NEEDED}: the account has no oauth_refresh_token; sign the mailbox in")
    url = required(config, "oauth_token_url", "email")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": required(config, "oauth_client_id", "email"),
    }
    # Both Microsoft and Google take a confidential client's secret in the form body (client_secret_post).
    if config.get("oauth_client_secret"):
        form["client_secret"] = str(config["oauth_client_secret"])
    if config.get("oauth_scope"):
        form["scope"] = str(config["oauth_scope"])
    try:
        response = httpx.post(url, data=form, timeout=TIMEOUT, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise ChannelError(f"email: network error while renewing the access token: {exc}") from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise ChannelError(f"email: HTTP {response.status_code} from the token endpoint while renewing the token")
    try:
        data = response.json()
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    if not response.is_success or not data.get("access_token"):
        reason = data.get("error_description") or data.get("error") or response.text[:200]
        raise RefreshRefused(
            f"email: {SIGN_IN_NEEDED}: the token endpoint refused to renew the access token "
            f"(HTTP {response.status_code}: {reason}); sign the mailbox in again and store its new refresh token"
        )
    lifetime = data.get("expires_in")
    if isinstance(lifetime, str) and lifetime.isdigit():
        lifetime = int(lifetime)  # Microsoft's older v1.0 endpoint sends it as a string
    seconds = int(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else DEFAULT_LIFETIME
    values = {
        "oauth_access_token": str(data["access_token"]),
        "token_expires_at": (utcnow() + dt.timedelta(seconds=seconds)).isoformat(),
    }
    if data.get("refresh_token"):
        values["oauth_refresh_token"] = str(data["refresh_token"])  # rotated: the old one is dead from now on
    return values


def _instant(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
