"""The interface every channel shares: the connector, what webhooks and replies look like, its errors."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import random
from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol
from urllib.parse import quote

import httpx
from sqlalchemy.orm import Session

from sotong.cases.attachments import OutboundPhoto
from sotong.cases.inbound import InboundMessage
from sotong.cases.wording import reply_text
from sotong.orgs.models import ChannelAccount
from sotong.outbox.transports import Delivery, Transport, TransportError
from sotong.secrets import open_config
from sotong.text.fitting import fit


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
        return ChannelError(f"{channel}: network error: {exc}", code="network")
    return ChannelError(
        f"{channel}: outcome unknown, no answer after the request was sent ({type(exc).__name__}: {exc}); "
        "it may have been delivered, so it is not sent again automatically: check the conversation and retry "
        "from the case if it did not arrive",
        unknown=True,
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


@dataclass(frozen=True)
class WebhookRequest:
    """A webhook as it arrived, all a connector may check it by: headers, the raw body (signatures are over these
    bytes), the query string and the caller's address (TalkTalk signs nothing: Naver's networks, a URL token)."""

    headers: Mapping[str, str]
    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)
    client_ip: str | None = None


@dataclass(frozen=True)
class WebhookReply:
    """What a webhook is answered: a JSON document, or an empty body when `body` is None."""

    body: Any = None
    status: int = 200


@dataclass(frozen=True)
class Responded:
    """A synchronous answer to a webhook (Kakao's skill response) and what it took in, for the account's health."""

    reply: WebhookReply
    stored: int = 0
    error: str | None = None


class IntakeCounts(Protocol):
    """How intake took a batch of messages in (channels/intake `TakeInResult`)."""

    @property
    def stored(self) -> int: ...
    @property
    def duplicates(self) -> int: ...
    @property
    def refused(self) -> int: ...


class Polled(Protocol):
    """What a channel's poll returns: at least how intake took the messages in (and, if the platform said
    so, `poll_after`: when the next poll may ask)."""

    @property
    def taken(self) -> IntakeCounts: ...


@dataclass(frozen=True)
class ChannelText:
    """One reply as it leaves on a channel, measured the way that platform measures it."""

    transport: str
    text: str
    length: int
    limit: int | None  # None: the channel takes the whole text (e-mail, the web tracking page)
    unit: str  # "weighted" (X: Hangul 2, a link 23), "chars", "bytes" (SMS/LMS in EUC-KR), or "none"
    shortened: bool  # cut, ending with "…" and the link to the full answer on the public case page
    checked: bool = True  # False: the channel does not measure its replies, the text is not fitted
    unsendable: str = ""  # characters the channel cannot carry, replaced in `text` (an emoji in an SMS)

    def as_dict(self) -> dict[str, object]:
        return {
            "unsendable": self.unsendable,
            "transport": self.transport,
            "text": self.text,
            "length": self.length,
            "limit": self.limit,
            "unit": self.unit,
            "shortened": self.shortened,
            "checked": self.checked,
        }


@dataclass(frozen=True)
class OutboundPost:
    """One post the organisation publishes on an account (not a reply to anyone): text, a link, photos."""

    text: str
    idempotency_key: str  # the same on every attempt, like a delivery's
    link: str | None = None
    photos: tuple[OutboundPhoto, ...] = ()
    alt_texts: tuple[str, ...] = ()  # one per photo


@dataclass(frozen=True)
class Reactions:
    """How a post of ours is doing on the platform, as far as its API tells."""

    likes: int = 0
    shares: int = 0
    replies: int = 0


@dataclass(frozen=True)
class SampleAuthor:
    """What a citizen looks like on a channel (handle, display name, contact): for the demo and tests."""

    handle: str | None
    name: str | None
    contact: dict[str, str]


@dataclass(frozen=True)
class SetupField:
    """One setting of a channel account as the admin page asks for it: the config key, and what kind it is.

    Its label and explanation are catalogue entries, ``channels.setup.<channel>.<name>`` and ``….help``, so a
    district clerk reads "REST API 키: 카카오 디벨로퍼스 > 내 애플리케이션 > 앱 키" rather than ``rest_api_key``.
    """

    name: str
    secret: bool = False  # write-only: stored encrypted, never shown or echoed back
    required: bool = False
    # A value Sotong makes and the admin pastes into the platform's console (Kakao's skill header token): shown.
    generated: bool = False


class ProbeError(Exception):
    """What a connection test found wrong, as a catalogue key (``channels.probe.*``) the admin reads in Korean."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(f"{key}: {detail}" if detail else key)
        self.key = key
        self.detail = detail


class Connector(Transport):
    """One channel: everything the rest of Sotong needs to know about a platform, declared in its folder.

    In: `verify` and `parse` what the platform pushes (webhooks, answered in one generic route: api/hooks.py),
    `poll` what it must be asked for, `respond` when it waits for an answer to its webhook (Kakao). Out: `send`
    receipts and answers (the outbox), `preview` them as they will read, `post` and `reactions` for publishing.
    Facts: `secret_fields` (shown write-only to admins), `private` (a reply reaches the citizen alone), how the
    public portal groups it (`public_group`).

    `config` is `ChannelAccount.config` with its secrets decrypted (`secrets.open_config`): only connectors ever
    see them in clear. Connectors know platforms, not cases: the words citizens read come from cases/wording.py.
    """

    name: ClassVar[str]
    # How the public portal groups the channel: "sns", "phone", "web", "email" or "visit".
    public_group: ClassVar[str]
    # The credentials the connector reads (encrypted at rest; the admin page offers a write-only field for each).
    secret_fields: ClassVar[tuple[str, ...]] = ()
    # Pushes messages to /hooks/<name>/<account id>; False answers 404 there.
    accepts_webhooks: ClassVar[bool] = False
    # Waits for `respond` to answer its webhook itself, so it is never queued (Kakao's skill server).
    responds: ClassVar[bool] = False
    # In queued mode (SOTONG_WEBHOOK_QUEUE) its webhooks are stored as they come and taken in by the worker.
    queues: ClassVar[bool] = True
    # Is asked for new messages (`poll`) by the worker's polling pass, every SOTONG_CHANNEL_POLL_SECONDS.
    polls: ClassVar[bool] = False
    # Publishes posts of the organisation's own (`post`), and reads their reactions back (`reactions`).
    posts: ClassVar[bool] = False
    # The config key naming which platform object an account is (Facebook's "page_id") when one webhook URL serves
    # several accounts (one per app, Meta's rule): each delivery is `split` by that key and routed per account.
    route_key: ClassVar[str | None] = None
    # The account's settings as the admin page asks for them (labels and help in the catalogue); other config
    # keys remain editable as free `name = value` lines.
    setup_fields: ClassVar[tuple[SetupField, ...]] = ()
    # Whether `probe` is implemented (the admin page's "연결 확인" button).
    probes: ClassVar[bool] = False

    def probe(self, config: Mapping[str, Any]) -> None:
        """Ask the platform, as cheaply as it allows and sending nothing to anyone, whether these settings work;
        raise ProbeError saying what is wrong (a bad key, an unknown id, an unreachable host)."""
        raise ProbeError("channels.probe.unsupported")

    # ---- in

    def handshake(self, config: Mapping[str, Any], query: Mapping[str, str]) -> Handshake:
        """Answer the platform's GET subscription check; raises SignatureError when it does not match."""
        raise SignatureError(f"{self.name} has no webhook handshake", missing=True)

    def verify(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        """Check that a webhook comes from the platform (a signature over the raw body in constant time, a token,
        the caller's network); raise SignatureError."""
        raise SignatureError(f"{self.name} does not accept webhooks", missing=True)

    def parse(self, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
        """Turn a platform payload into inbound messages, leaving out our own posts and non-messages."""
        raise MalformedPayload(f"{self.name}: messages do not arrive as a payload to parse")

    def split(self, body: bytes) -> dict[str, bytes]:
        """A delivery's parts by the account they are for (the `route_key` value), each a body of its own."""
        raise MalformedPayload(f"{self.name}: deliveries are not routed by account")

    def webhook_reply(self, counts: Mapping[str, int]) -> WebhookReply:
        """What an accepted webhook is answered, given what was stored or queued (the counts, as JSON)."""
        return WebhookReply(dict(counts))

    def respond(
        self,
        config: Mapping[str, Any],
        request: WebhookRequest,
        *,
        sessions: Callable[[], Session],
        account_id: int,
    ) -> Responded:
        """Answer a verified webhook synchronously, taking its message in (only when `responds`)."""
        raise NotImplementedError(f"{self.name} answers its webhooks with the stored counts")

    def poll(self, session: Session, *, account_id: int) -> Polled:
        """Ask the platform for messages newer than the account's cursor and take them in (only when `polls`)."""
        raise ChannelError(f"{self.name}: this channel is not polled", permanent=True)

    # ---- out

    @abstractmethod
    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Deliver one outbox item on the platform, threaded to the citizen's message; returns the post's id."""

    def preview(self, delivery: Delivery) -> ChannelText:
        """The reply `send` would post for `delivery`, measured as the platform measures it.

        Channels that do not fit their replies to a limit show the whole text, marked unchecked.
        """
        text = reply_text(delivery)
        return ChannelText(self.name, text, len(text), None, "none", False, checked=False)

    def post(self, config: Mapping[str, Any], post: OutboundPost) -> str:
        """Publish a post of the organisation's own on the account; returns the platform's id (only when `posts`)."""
        raise ChannelError(f"{self.name}: publishing posts on this channel is not supported", permanent=True)

    def reactions(self, config: Mapping[str, Any], external_id: str) -> Reactions:
        """Likes, shares and replies of a post of ours (only when `posts`)."""
        raise ChannelError(f"{self.name}: reading reactions on this channel is not supported", permanent=True)

    # ---- samples

    def sample_author(self, rng: random.Random, *, name: str, phone: str, word: str) -> SampleAuthor:
        """A plausible citizen of this channel (the demo's complaints): by default a caller who left a number."""
        return SampleAuthor(handle=None, name=name, contact={"phone": phone})

    def sample_message_id(self, rng: random.Random, *, received: dt.datetime, serial: int) -> str:
        """A plausible platform id of a message received at `received` (the demo's complaints)."""
        return f"{self.name}-{received:%Y%m%d}-{serial:05d}"

    # ---- helpers

    def account_config(self, delivery: Delivery, *, session: Session) -> dict[str, Any]:
        """The sending account's config (a copy), read without keeping a transaction open during the send."""
        account_id = delivery.payload.get("channel_account_id")
        account = session.get(ChannelAccount, account_id) if isinstance(account_id, int) else None
        config = open_config(account.config) if account is not None else None
        # The worker's session must not sit idle in a transaction while the platform answers.
        session.rollback()
        if config is None:
            raise ChannelError(
                f"{self.name}: unknown sending account {account_id!r}", permanent=True, code="no_account"
            )
        return config


def fitted(channel: str, delivery: Delivery, limit: int) -> ChannelText:
    """A reply cut to `limit` characters with the link to the whole of it (Facebook, Kakao, TalkTalk)."""
    full = reply_text(delivery)
    text = fit(full, limit, tracking_link(delivery))
    return ChannelText(channel, text, len(text), limit, "chars", text != full)


def tracking_link(delivery: Delivery) -> str:
    """The case page link a receipt or answer carries ("" when it has none)."""
    return str(delivery.payload.get("tracking_url") or "")


# Characters a URL keeps as they are; everything else outside ASCII is percent-encoded (UTF-8).
URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"


def ascii_url(url: str) -> str:
    """`url` with every non-ASCII character percent-encoded (UTF-8), so that a platform links all of it.

    X and Mastodon find links with twitter-text's rules, which end a path at its first Hangul character: a raw
    `/cases/2026-송파-000123` would be linked only up to `/cases/2026-`.
    """
    return quote(url, safe=URL_SAFE)


# No platform nests its events more than a dozen levels; a signed body nested thousands deep made json.loads raise
# RecursionError (a 500), and anything walking a merely very deep one (intake cleaning `raw`) would too.
MAX_JSON_DEPTH = 64


def json_body(body: bytes | str) -> Any:
    """The webhook body as JSON, or MalformedPayload saying why not (not JSON, or nested beyond MAX_JSON_DEPTH)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedPayload(f"body is not JSON: {exc}") from exc
    except RecursionError:
        raise MalformedPayload(f"body is nested deeper than {MAX_JSON_DEPTH} levels") from None
    check_depth(data)
    return data


def parse_body(connector: Connector, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
    """`connector.parse`, with a body of an unexpected shape (a list where an object belongs, a number for a name)
    refused as MalformedPayload like any other bad body: a 400 with the reason, never a 500 (issue 22, fuzzed by
    tests/channels/test_parser_fuzz.py)."""
    try:
        return connector.parse(config, payload)
    except MalformedPayload:
        raise
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        raise MalformedPayload(f"{connector.name}: the body has an unexpected shape ({type(exc).__name__})") from exc


def check_depth(data: Any, limit: int = MAX_JSON_DEPTH) -> None:
    """MalformedPayload when a parsed JSON document nests deeper than `limit` (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                raise MalformedPayload(f"body is nested deeper than {limit} levels")
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def constant_time_equal(given: str, expected: str) -> bool:
    """Compare secrets without leaking how much of them matched through timing."""
    return hmac.compare_digest(given.encode(), expected.encode())


def required(config: Mapping[str, Any], key: str, channel: str) -> str:
    """A setting the connector cannot work without; its absence is a permanent failure, not a retry."""
    value = config.get(key)
    if not isinstance(value, str) or not value:
        raise ChannelError(f"{channel}: account config lacks {key!r}", permanent=True, code="config")
    return value
