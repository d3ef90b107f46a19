"""Renewing an account's OAuth 2.0 user token (`POST /2/oauth2/token`, grant_type=refresh_token).

X's user access tokens live two hours; the refresh token (scope ``offline.access``) rotates: each renewal returns
a new one and the old one stops working. So the renewal happens under the account row's lock, and the new access
token, the new refresh token and the expiry are written in the transaction that holds it: a second worker waiting
on the lock then finds the token already renewed and uses it, instead of spending a refresh token that is no
longer valid. A renewal X refuses (the refresh token revoked or already used) leaves the account needing a new
sign-in: the account's health says so, and every call fails for good until an administrator re-authorises it.

Account config: ``client_id`` (the app's OAuth 2.0 client id), ``client_secret`` (confidential clients only),
``refresh_token``; kept by this module: ``bearer_token`` and ``token_expires_at``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import httpx
from sqlalchemy.orm import Session

from sotong.channels.base import ChannelError
from sotong.channels.health import SIGN_IN_NEEDED
from sotong.channels.renewal import RefreshRefused, renew_under_lock
from sotong.db import utcnow

TIMEOUT = httpx.Timeout(10.0)
DEFAULT_LIFETIME = 7200  # seconds, when X does not say


def refreshed_token(session: Session, *, account_id: int, stale: str) -> str:
    """The account's new access token, renewing it with the stored refresh token unless another worker did."""
    return renew_under_lock(
        session,
        channel="x",
        account_id=account_id,
        stale=stale,
        current=lambda config: str(config.get("bearer_token") or ""),
        renew=_renew,
        token_key="bearer_token",
    )


def _renew(config: Mapping[str, Any]) -> dict[str, str]:
    refresh_token = str(config.get("refresh_token") or "")
    client_id = str(config.get("client_id") or "")
    if not refresh_token or not client_id:
        raise RefreshRefused("x: the access token expired and the account has no refresh_token and client_id")
    base = str(config.get("base_url") or "https://api.twitter.com").rstrip("/")
    secret = str(config.get("client_secret") or "")
    try:
        response = httpx.post(
            f"{base}/2/oauth2/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id},
            auth=(client_id, secret) if secret else None,  # confidential clients authenticate; public ones not
            timeout=TIMEOUT,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        raise ChannelError(f"x: network error while renewing the access token: {exc}") from exc
    if response.status_code >= 500:
        raise ChannelError(f"x: HTTP {response.status_code} while renewing the access token")
    try:
        data = response.json()
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    if not response.is_success or not data.get("access_token"):
        reason = data.get("error_description") or data.get("error") or response.text[:200]
        raise RefreshRefused(
            f"x: {SIGN_IN_NEEDED}: X refused to renew the access token (HTTP {response.status_code}: {reason}); "
            "authorise the account again"
        )
    lifetime = data.get("expires_in")
    seconds = int(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else DEFAULT_LIFETIME
    values = {
        "bearer_token": str(data["access_token"]),
        "token_expires_at": (utcnow() + dt.timedelta(seconds=seconds)).isoformat(),
    }
    if data.get("refresh_token"):
        values["refresh_token"] = str(data["refresh_token"])
    return values
