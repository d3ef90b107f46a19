"""Channel accounts that speak to a bundled sandbox of their platform (the `sotong_sandbox` package) instead of
the platform itself: the demo's, and a new centre's practice accounts.

Such an account carries ``sandbox: true`` in its config and its connector's base URL points at
``{base_url}/sandbox/{platform}``, which the app serves outside production only. Production refuses both, so a
practice account can never stand in for a real one (or silently send citizens' answers nowhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.channels.kakao.protocol import DEFAULT_EVENT_NAME, DEFAULT_SKILL_HEADER
from sotong.errors import InvalidInput
from sotong.orgs.models import Channel, ChannelAccount
from sotong.secrets import open_config
from sotong.settings import Environment, Settings

PATH = "/sandbox"
# The config values that name a platform's base URL, per connector (kakao and naver: api_url; x, mastodon:
# base_url).
URL_KEYS = ("api_url", "base_url")
REFUSED = "sandbox accounts cannot be used in production"


def url(base_url: str, platform: str) -> str:
    """Where the sandbox of `platform` answers in this installation (its API root and its pages)."""
    return f"{base_url.rstrip('/')}{PATH}/{platform}"


def is_sandbox(config: Mapping[str, Any] | None) -> bool:
    """Whether an account speaks to a sandbox: flagged, or one of its base URLs is a sandbox's."""
    config = config or {}
    if config.get("sandbox"):
        return True
    return any(f"{PATH}/" in str(config.get(key) or "") for key in URL_KEYS)


def account_is_sandbox(session: Session, account_id: int | None) -> bool:
    """Whether the account (of a case, a message) speaks to a sandbox; False for none."""
    account = session.get(ChannelAccount, account_id) if account_id is not None else None
    return account is not None and is_sandbox(account.config)


def check_allowed(config: Mapping[str, Any] | None, settings: Settings) -> None:
    """Refuse a sandbox account in production: the sandboxes are not served there."""
    if settings.env is Environment.production and is_sandbox(config):
        raise InvalidInput(f"{REFUSED} (SOTONG_ENV=production)", field="settings", code="sandbox_in_production")


def kakao_bots(session: Session, base_url: str) -> list[dict[str, str]]:
    """The Kakao sandbox's bots: each enabled sandbox Kakao account, with the skill URL and keys of its config."""
    bots = []
    accounts = session.scalars(
        select(ChannelAccount).where(ChannelAccount.channel == Channel.kakao).order_by(ChannelAccount.id)
    )
    for account in accounts:
        if not account.enabled or not is_sandbox(account.config):
            continue
        config = open_config(account.config)
        if not config.get("bot_id") or not config.get("skill_token") or not config.get("rest_api_key"):
            continue
        bots.append(
            {
                "bot_id": str(config["bot_id"]),
                "name": account.display_name,
                "skill_url": f"{base_url.rstrip('/')}/hooks/kakao/{account.id}",
                "skill_token": str(config["skill_token"]),
                "rest_api_key": str(config["rest_api_key"]),
                "skill_header": str(config.get("skill_header") or DEFAULT_SKILL_HEADER),
                "event_name": str(config.get("event_name") or DEFAULT_EVENT_NAME),
            }
        )
    return bots


def x_accounts(session: Session) -> list[dict[str, str]]:
    """The X sandbox's official accounts: each enabled sandbox X account, with its user id and token."""
    found = []
    accounts = session.scalars(
        select(ChannelAccount).where(ChannelAccount.channel == Channel.x).order_by(ChannelAccount.id)
    )
    for account in accounts:
        if not account.enabled or not is_sandbox(account.config):
            continue
        config = open_config(account.config)
        if not config.get("user_id") or not config.get("bearer_token"):
            continue
        found.append(
            {
                "user_id": str(config["user_id"]),
                "username": account.handle.lstrip("@"),
                "name": account.display_name,
                "bearer_token": str(config["bearer_token"]),
            }
        )
    return found
