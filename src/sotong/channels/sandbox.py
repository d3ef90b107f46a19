"""Channel accounts that speak to a bundled sandbox of their platform (the `sotong_sandbox` package) instead of
the platform itself: the demo's, and a new centre's practice accounts.

Such an account carries ``sandbox: true`` in its config and its connector's base URL points at
``{base_url}/sandbox/{platform}``, which the app serves outside production only. Production refuses both, so a
practice account can never stand in for a real one (or silently send citizens' answers nowhere).
"""

from __future__ import annotations

import secrets
import zlib
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
# The config values that name a platform's base URL, per connector (kakao, naver and sms: api_url; x, mastodon:
# base_url; facebook: graph_url).
URL_KEYS = ("api_url", "base_url", "graph_url")
# Where a practice Facebook Page's Graph API answers under the sandbox (the version the connector defaults to).
FACEBOOK_GRAPH = "/graph/v21.0"
# Where the e-mail sandbox listens (IMAP, SMTP), on this machine only: a practice mailbox's servers.
MAIL_HOST = "127.0.0.1"
MAIL_PORTS = (21143, 21025)
# The networks a practice TalkTalk account takes webhooks from: the sandbox calls from this machine.
LOOPBACK = ["127.0.0.1/32", "::1/128"]
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


def practice_config(
    channel: Channel, base_url: str, *, name: str, handle: str = "", mail_ports: tuple[int, int] | None = None
) -> dict[str, Any] | None:
    """The config of a practice account of `channel` speaking to its bundled sandbox at `base_url` (a mailbox: at
    the sandbox's `mail_ports` on this machine, its address the `handle`): ids made from `name` (the same on every
    load), keys fresh per installation (the sandbox reads them back from the account, nobody types them); None for
    a channel without a sandbox."""
    number = zlib.crc32(name.encode())
    common: dict[str, Any] = {"sandbox": True}
    if channel is Channel.kakao:
        return {
            **common,
            "bot_id": f"sandbox-{name}",
            "api_url": url(base_url, "kakao"),
            "skill_token": secrets.token_urlsafe(24),
            "rest_api_key": secrets.token_hex(16),
        }
    if channel is Channel.x:
        return {
            **common,
            "base_url": url(base_url, "x"),
            "user_id": str(1_800_000_000_000_000_000 + number),  # snowflake-sized
            "bearer_token": secrets.token_urlsafe(24),
        }
    if channel is Channel.facebook:
        return {
            **common,
            "graph_url": url(base_url, "facebook") + FACEBOOK_GRAPH,
            "page_id": str(100_000_000_000_000 + number),
            "page_access_token": secrets.token_urlsafe(24),
            "app_secret": secrets.token_hex(16),
            "verify_token": secrets.token_urlsafe(16),
        }
    if channel is Channel.mastodon:
        return {
            **common,
            "base_url": url(base_url, "mastodon"),
            "access_token": secrets.token_urlsafe(24),
            "streaming": False,  # the sandbox speaks no streaming API: the scheduled polls read it
        }
    if channel is Channel.naver:
        return {
            **common,
            "api_url": url(base_url, "naver"),
            "authorization": secrets.token_urlsafe(24),
            "allowed_ips": list(LOOPBACK),
            "webhook_token": secrets.token_urlsafe(16),
        }
    if channel is Channel.sms:
        return {
            **common,
            "gateway": "sandbox",
            "api_url": url(base_url, "sms"),
            "service_id": f"ncp:sms:kr:{number}:sandbox",
            "access_key": secrets.token_hex(10),
            "secret_key": secrets.token_hex(20),
            "from_number": f"0270{number % 1_000_000:06d}",
            "inbound_token": secrets.token_urlsafe(24),
        }
    if channel is Channel.email:
        mail_ports = mail_ports or MAIL_PORTS
        return {
            **common,
            "address": handle,
            "imap_host": MAIL_HOST,
            "imap_port": mail_ports[0],
            "imap_security": "none",  # loopback only: the sandbox speaks no TLS
            "imap_password": secrets.token_urlsafe(16),
            "smtp_host": MAIL_HOST,
            "smtp_port": mail_ports[1],
            "smtp_security": "none",
        }
    return None


def _practice(session: Session, channel: Channel) -> list[tuple[ChannelAccount, dict[str, Any]]]:
    """The enabled sandbox accounts of a channel, oldest first, with their configs opened."""
    accounts = session.scalars(
        select(ChannelAccount).where(ChannelAccount.channel == channel).order_by(ChannelAccount.id)
    )
    return [(a, open_config(a.config)) for a in accounts if a.enabled and is_sandbox(a.config)]


def _hook(base_url: str, channel: Channel, account: ChannelAccount) -> str:
    return f"{base_url.rstrip('/')}/hooks/{channel.value}/{account.id}"


def facebook_pages(session: Session, base_url: str) -> list[dict[str, str]]:
    """The Facebook sandbox's Pages: each practice Facebook account, with its Page id, token and app secret."""
    return [
        {
            "page_id": str(config["page_id"]),
            "name": account.display_name,
            "access_token": str(config["page_access_token"]),
            "app_secret": str(config["app_secret"]),
            "webhook_url": _hook(base_url, Channel.facebook, account),
        }
        for account, config in _practice(session, Channel.facebook)
        if config.get("page_id") and config.get("page_access_token") and config.get("app_secret")
    ]


def naver_partners(session: Session, base_url: str) -> list[dict[str, str]]:
    """The TalkTalk sandbox's partners: each practice TalkTalk account, with its webhook URL and send-API key."""
    found = []
    for account, config in _practice(session, Channel.naver):
        if not config.get("authorization"):
            continue
        hook = _hook(base_url, Channel.naver, account)
        token = config.get("webhook_token")
        found.append(
            {
                "key": str(account.id),
                "name": account.display_name,
                "webhook_url": f"{hook}?token={token}" if token else hook,
                "authorization": str(config["authorization"]),
            }
        )
    return found


def mastodon_officials(session: Session) -> list[dict[str, str]]:
    """The Mastodon sandbox's official accounts: each practice Mastodon account, by the username of its handle."""
    return [
        {
            "username": account.handle.lstrip("@").split("@")[0],
            "name": account.display_name,
            "access_token": str(config["access_token"]),
        }
        for account, config in _practice(session, Channel.mastodon)
        if config.get("access_token") and account.handle.lstrip("@")
    ]


def sms_services(session: Session, base_url: str) -> list[dict[str, str]]:
    """The SMS sandbox's accounts: each practice SMS account, with its SENS keys, number and reply webhook."""
    return [
        {
            "key": str(account.id),
            "name": account.display_name,
            "service_id": str(config["service_id"]),
            "access_key": str(config["access_key"]),
            "secret_key": str(config["secret_key"]),
            "from_number": "".join(c for c in str(config["from_number"]) if c.isdigit()),
            "inbound_url": _hook(base_url, Channel.sms, account),
            "inbound_token": str(config.get("inbound_token") or ""),
        }
        for account, config in _practice(session, Channel.sms)
        if all(config.get(k) for k in ("service_id", "access_key", "secret_key", "from_number"))
    ]


def email_mailboxes(session: Session) -> list[dict[str, Any]]:
    """The e-mail sandbox's mailboxes: each practice e-mail account, with its login and the ports it reaches."""
    return [
        {
            "address": str(config["address"]),
            "name": account.display_name,
            "password": str(config["imap_password"]),
            "host": str(config.get("imap_host") or MAIL_HOST),
            "imap_port": int(config.get("imap_port") or MAIL_PORTS[0]),
            "smtp_port": int(config.get("smtp_port") or MAIL_PORTS[1]),
        }
        for account, config in _practice(session, Channel.email)
        if config.get("address") and config.get("imap_password")
    ]


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
