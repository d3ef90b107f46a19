"""Renewing an account's OAuth 2.0 access token under the account row's lock, for every channel that has one
(X's user tokens, e-mail's XOAUTH2).

Providers rotate refresh tokens: each renewal returns a new one and the old one stops working. So the renewal runs
while the account row is locked and the new tokens are written in that transaction: a second worker waiting on the
lock then finds the token already renewed and uses it, instead of spending a refresh token that is no longer
valid. A refused renewal leaves the account needing a new sign-in, which its health shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from sotong.channels.base import ChannelError
from sotong.channels.health import record_attempt
from sotong.db import atomic
from sotong.orgs.models import ChannelAccount
from sotong.secrets import open_config


class RefreshRefused(ChannelError):
    """The provider refused the refresh token: the account must be signed in again."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


def renew_under_lock(
    session: Session,
    *,
    channel: str,
    account_id: int,
    stale: str | None,
    current: Callable[[Mapping[str, Any]], str | None],
    renew: Callable[[Mapping[str, Any]], dict[str, str]],
    token_key: str,
) -> str:
    """A valid access token: the one another worker renewed while we waited for the lock, else a new one.

    `stale` is the token a server refused (None: there was no valid one to try); `current` reads the stored token
    from the opened config, `renew` makes the grant and returns the config values to store, the new access token
    under `token_key`. A refusal is recorded on the account's health and raised.
    """
    try:
        with atomic(session):
            account = session.get(ChannelAccount, account_id, with_for_update=True)
            if account is None:
                raise ChannelError(f"{channel}: unknown account {account_id}", permanent=True)
            config = open_config(account.config)
            token = current(config)
            if token and token != stale:
                return token  # renewed by another worker while we waited for the lock
            values = renew(config)
            # The sealing hook (orgs/models.py) encrypts the tokens before the row is written.
            account.config = {**(account.config or {}), **values}
            session.flush()
            return str(values[token_key])
    except RefreshRefused as exc:
        record_attempt(session, account_id=account_id, source="auth", error=exc.message)
        raise
