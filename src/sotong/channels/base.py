"""The small interface every channel shares: the inbound message intake takes, the connector, its errors."""

from __future__ import annotations

import hmac
import json
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from sqlalchemy.orm import Session

from sotong.cases.inbound import InboundMessage
from sotong.outbox.transports import Delivery, Transport, TransportError


class ChannelError(TransportError):
    """A platform refused or failed; `permanent` ones (deleted post, blocked account) are not retried."""


# Failures raised before the request left this machine: the platform cannot have acted on it, so a retry is safe.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def request_was_not_sent(exc: httpx.HTTPError) -> bool:
    """True when the platform never received the request (refused, unreachable, no free connection)."""
    return isinstance(exc, _NOT_SENT)


def network_error(channel: str, exc: httpx.HTTPError, *, idempotent: bool = False) -> ChannelError:
    """The failure to raise for a network error while sending a reply.

    A platform that deduplicates (an idempotency key, or a read-back before resending as X does) is simply
    retried. One that does not (Kakao's Event API, Naver TalkTalk's push, SENS) may have delivered a request
    whose answer was lost (a read timeout, a dropped connection): retrying could put the same message on the
    citizen's phone twice, so that delivery fails for good with the reason shown on the case, where staff check
    the conversation and retry it by hand. Only a request that never left is retried automatically.
    """
    if idempotent or request_was_not_sent(exc):
        return ChannelError(f"{channel}: network error: {exc}")
    return ChannelError(
        f"{channel}: outcome unknown, no answer after the request was sent ({type(exc).__name__}: {exc}); "
        "it may have been delivered, so it is not sent again automatically: check the conversation and retry "
        "from the case if it did not arrive",
        permanent=True,
    )


class SignatureError(ChannelError):
    """A webhook whose signature or token does not verify; `missing` when none was sent at all."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message, permanent=True)
        self.missing = missing


class MalformedPayload(ChannelError):
    """A webhook body that is not what the platform sends."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class Handshake:
    """What a platform's subscription check (Facebook's hub.challenge, X's CRC) is answered with."""

    body: str
    media_type: str = "text/plain"


class Connector(Transport):
    """One platform: verify and parse what it pushes or polls in, send receipts and answers out.

    `config` is `ChannelAccount.config` with its secrets decrypted (channels/credentials.py `open_config`):
    only connectors ever see them in clear. Connectors know platforms, not cases: nothing here touches case tables.
    """

    name: ClassVar[str]
    # False for platforms that are polled (Mastodon): /hooks/<name>/ then answers 404.
    accepts_webhooks: ClassVar[bool] = False

    def handshake(self, config: Mapping[str, Any], query: Mapping[str, str]) -> Handshake:
        """Answer the platform's GET subscription check; raises SignatureError when it does not match."""
        raise SignatureError(f"{self.name} has no webhook handshake", missing=True)

    def verify(self, config: Mapping[str, Any], *, headers: Mapping[str, str], body: bytes) -> None:
        """Check the webhook's signature or token over the raw body in constant time; raise SignatureError."""
        raise SignatureError(f"{self.name} does not accept webhooks", missing=True)

    @abstractmethod
    def parse(self, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
        """Turn a platform payload into inbound messages, leaving out our own posts and non-messages."""

    @abstractmethod
    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Deliver one outbox item on the platform, threaded to the citizen's message; returns the post's id."""

    def account_config(self, delivery: Delivery, *, session: Session) -> dict[str, Any]:
        """The sending account's config (a copy), read without keeping a transaction open during the send."""
        from sotong.orgs.models import ChannelAccount  # orgs.models is heavy; connectors import base early
        from sotong.secrets import open_config

        account_id = delivery.payload.get("channel_account_id")
        account = session.get(ChannelAccount, account_id) if isinstance(account_id, int) else None
        config = open_config(account.config) if account is not None else None
        # The worker's session must not sit idle in a transaction while the platform answers.
        session.rollback()
        if config is None:
            raise ChannelError(f"{self.name}: unknown sending account {account_id!r}", permanent=True)
        return config


def json_body(body: bytes | str) -> Any:
    """The webhook body as JSON, or MalformedPayload saying why not."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedPayload(f"body is not JSON: {exc}") from exc


def constant_time_equal(given: str, expected: str) -> bool:
    """Compare secrets without leaking how much of them matched through timing."""
    return hmac.compare_digest(given.encode(), expected.encode())


def required(config: Mapping[str, Any], key: str, channel: str) -> str:
    """A setting the connector cannot work without; its absence is a permanent failure, not a retry."""
    value = config.get(key)
    if not isinstance(value, str) or not value:
        raise ChannelError(f"{channel}: account config lacks {key!r}", permanent=True)
    return value
