"""The mailbox an e-mail account stands for: its own address, the Message-IDs we give, its server settings."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sotong import smtp
from sotong.cases.actions import MAX_TEXT_LENGTH
from sotong.channels.base import ChannelError, SetupField, required

TIMEOUT = 20.0

# The mailbox's settings as the admin page asks for them, in three groups so that a new way of logging in (a
# provider's OAuth 2.0, say) adds its fields to its group. No password is required here: a login without one is
# possible, and the connection test says what is missing.
ADDRESS_FIELDS = (SetupField("address", required=True), SetupField("display_name"))
IMAP_FIELDS = (
    SetupField("imap_host", required=True),
    SetupField("imap_port"),
    SetupField("imap_security"),
    SetupField("imap_user"),
    SetupField("imap_password", secret=True),
    SetupField("mailbox"),
)
SMTP_FIELDS = (
    SetupField("smtp_host", required=True),
    SetupField("smtp_port"),
    SetupField("smtp_security"),
    SetupField("smtp_user"),
    SetupField("smtp_password", secret=True),
)
# OAuth 2.0 (XOAUTH2) instead of passwords, for Microsoft 365 and Gmail: the refresh token comes from the
# provider's own sign-in tools; Sotong renews the access token with it and keeps the rotated one (oauth.py).
OAUTH_FIELDS = (
    SetupField("auth"),
    SetupField("oauth_token_url"),
    SetupField("oauth_client_id"),
    SetupField("oauth_client_secret", secret=True),
    SetupField("oauth_refresh_token", secret=True),
    SetupField("oauth_scope"),
)


MAX_TEXT = MAX_TEXT_LENGTH  # intake's limit: a long mail is cut rather than refused


OWN_ID_PREFIX = "<sotong."  # the Message-IDs we give our own receipts and answers


def own_address(config: Mapping[str, Any]) -> str:
    """The mailbox's own address, lower-cased: the From of our answers, never taken in as a complaint."""
    return required(config, "address", "email").strip().lower()


def is_own_id(message_id: str) -> bool:
    """Whether a Message-ID is one Sotong gave to a mail it sent."""
    return message_id.startswith(OWN_ID_PREFIX)


def own_message_id(idempotency_key: str, address: str) -> str:
    """The Message-ID of an outbox item: the same on every attempt, so a retried send is recognisable."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = address.rpartition("@")[2] or "sotong.invalid"
    return f"{OWN_ID_PREFIX}{digest}@{domain}>"


def _security(config: Mapping[str, Any], key: str, default: str) -> str:
    value = str(config.get(key) or default).lower()
    if value not in smtp.SECURITIES:
        raise ChannelError(f"email: {key} must be one of {', '.join(smtp.SECURITIES)}, not {value!r}", permanent=True)
    return value


def _port(config: Mapping[str, Any], key: str, default: int) -> int:
    value = config.get(key) or default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ChannelError(f"email: {key} is not a port: {value!r}", permanent=True) from None
