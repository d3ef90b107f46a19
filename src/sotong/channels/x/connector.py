"""X: mentions in (polled, or pushed by Account Activity webhooks: CRC and signature checked), replies threaded.

Account config (secrets sealed at rest, secrets.py): ``base_url`` (default ``https://api.twitter.com``),
``bearer_token`` (an OAuth 2.0 user-context token of the official account, allowed to read mentions, post and upload
media), ``refresh_token`` and ``client_id`` (and ``client_secret`` for a confidential client) to renew it every two
hours (x/tokens.py), ``user_id`` (the account's numeric id) and, for Account Activity webhooks,
``consumer_secret``. Kept by the poller: ``since_id``; by the token renewal: ``token_expires_at``. An answer's
result photos are uploaded (``POST /2/media/upload``) and attached to the reply.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import html
import json
import random
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
from sqlalchemy.orm import Session

from sotong.cases.attachments import OutboundPhoto, answer_photos
from sotong.cases.inbound import InboundMessage
from sotong.cases.wording import reply_text
from sotong.channels.base import (
    ChannelError,
    ChannelText,
    Connector,
    Handshake,
    Polled,
    ProbeError,
    SampleAuthor,
    SetupField,
    SignatureError,
    WebhookRequest,
    constant_time_equal,
    required,
    tracking_link,
)
from sotong.channels.x.api import DEFAULT_BASE_URL, TIMEOUT, XApi
from sotong.channels.x.parse import parse_payload
from sotong.channels.x.poll import poll
from sotong.channels.x.text import MAX_WEIGHTED_LENGTH, ascii_url, shorten, weighted_length
from sotong.channels.x.tokens import refreshed_token
from sotong.outbox.transports import Delivery

# Photos per post X accepts.
MEDIA_LIMIT = 4
SIGNATURE_HEADER = "x-twitter-webhooks-signature"
# The "@handle " X puts in front of a reply's text (one per account in the conversation).
MENTION_PREFIX = re.compile(r"^(?:@\w{1,15}\s+)+")


def crc_response(secret: str, token: str | bytes) -> str:
    """X's CRC answer (and event signature): sha256= and the base64 HMAC-SHA256 of the bytes under the consumer
    secret. An event's signature is over the raw body as sent (UTF-8), so it is given the bytes, never a string
    decoded and re-encoded."""
    message = token if isinstance(token, bytes) else token.encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


class XConnector(Connector):
    # X takes no idempotency key, but a second attempt first reads back what the first may have posted.
    idempotent: ClassVar[bool] = True
    """Mentions in (polled, see `x.poll`, or pushed by Account Activity), replies out with in_reply_to_tweet_id."""

    name: ClassVar[str] = "x"
    public_group: ClassVar[str] = "sns"
    secret_fields: ClassVar[tuple[str, ...]] = ("bearer_token", "access_token", "consumer_secret")
    # What the X developer portal gives (프로젝트 > 앱 > Keys and tokens, and the OAuth 2.0 sign-in of the account).
    setup_fields: ClassVar[tuple[SetupField, ...]] = (
        SetupField("user_id", required=True),
        SetupField("bearer_token", secret=True, required=True),
        SetupField("refresh_token", secret=True),
        SetupField("client_id"),
        SetupField("client_secret", secret=True),
        SetupField("consumer_secret", secret=True),
        SetupField("base_url"),
    )
    probes: ClassVar[bool] = True
    accepts_webhooks: ClassVar[bool] = True
    polls: ClassVar[bool] = True

    def probe(self, config: Mapping[str, Any]) -> None:
        """`GET /2/users/me` with the account's token: a token X refuses, or one of another account than the
        user id, is reported. Read-only: the token is not renewed here (renewing rotates the refresh token)."""
        base = str(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        user_id = str(config.get("user_id") or "").strip()
        token = str(config.get("bearer_token") or "").strip()
        if not user_id:
            raise ProbeError("channels.probe.x.no_user")
        if not token:
            raise ProbeError("channels.probe.x.no_token")
        try:
            response = httpx.get(f"{base}/2/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            raise ProbeError("channels.probe.unreachable", f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 401:
            # An expired user token is renewed by the next poll when a refresh token is set.
            raise ProbeError(
                "channels.probe.x.expired" if config.get("refresh_token") else "channels.probe.x.bad_token"
            )
        if response.status_code == 429:
            raise ProbeError("channels.probe.rate_limited")
        try:
            found = str((response.json().get("data") or {}).get("id") or "")
        except (ValueError, AttributeError):
            found = ""
        if not response.is_success or not found:
            raise ProbeError("channels.probe.failed", f"HTTP {response.status_code}")
        if found != user_id:
            raise ProbeError("channels.probe.x.other_user", found)

    def handshake(self, config: Mapping[str, Any], query: Mapping[str, str]) -> Handshake:
        """The CRC check X sends when registering the webhook and every hour after."""
        token = query.get("crc_token")
        if not token:
            raise SignatureError("x: no crc_token", missing=True)
        secret = required(config, "consumer_secret", self.name)
        return Handshake(json.dumps({"response_token": crc_response(secret, token)}), "application/json")

    def verify(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        """x-twitter-webhooks-signature: sha256= and the base64 HMAC-SHA256 of the raw body."""
        given = request.headers.get(SIGNATURE_HEADER)
        if not given:
            raise SignatureError(f"x: no {SIGNATURE_HEADER} header", missing=True)
        secret = str(config.get("consumer_secret") or "")
        if not secret:
            raise SignatureError("x: account has no consumer_secret to check webhooks with")
        if not constant_time_equal(given, crc_response(secret, request.body)):
            raise SignatureError("x: signature does not match the body")

    def parse(self, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
        """A v2 mentions page ({data, includes}) or an Account Activity event; our own tweets are left out."""
        return parse_payload(config, payload)

    def poll(self, session: Session, *, account_id: int) -> Polled:
        """Mentions newer than the account's cursor (`GET /2/users/:id/mentions`)."""
        return poll(session, account_id=account_id)

    def preview(self, delivery: Delivery) -> ChannelText:
        """280 weighted characters as twitter-text counts them; a longer answer is cut with the link to the whole.

        The tracking link is made ASCII first: twitter-text (and so X) ends a link at the first Hangul character,
        and a case number such as 2026-송파-000123 would leave the citizen a link to /cases/2026-.
        """
        link = tracking_link(delivery)
        full = reply_text(delivery)
        if link:
            full = full.replace(link, ascii_url(link))
        text = shorten(full, ascii_url(link) if link else "")
        shortened = text != full
        return ChannelText(self.name, text, weighted_length(text), MAX_WEIGHTED_LENGTH, "weighted", shortened)

    def sample_author(self, rng: random.Random, *, name: str, phone: str, word: str) -> SampleAuthor:
        """An X handle."""
        return SampleAuthor(handle=f"@{word}_{rng.randrange(10, 9999)}", name=None, contact={})

    def sample_message_id(self, rng: random.Random, *, received: dt.datetime, serial: int) -> str:
        """A tweet id (a snowflake of 18-19 digits)."""
        return str(rng.randrange(10**17, 10**19))

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Reply to the citizen's tweet; a long text becomes its beginning and the link to the case page."""
        config = self.account_config(delivery, session=session)
        account_id = int(delivery.payload["channel_account_id"])
        api = XApi(config, refresh=lambda stale: refreshed_token(session, account_id=account_id, stale=stale))
        reply_to = str(delivery.payload.get("in_reply_to_external_id") or "")
        if not reply_to:
            raise ChannelError("x: nothing to reply to (no original tweet id)", permanent=True)
        text = self.preview(delivery).text
        if delivery.attempt > 1:
            # X takes no idempotency key: a retry first looks for the reply an earlier attempt may have posted.
            earlier = self._earlier_reply(api, required(config, "user_id", self.name), reply_to, text)
            if earlier is not None:
                return earlier
        tweet: dict[str, Any] = {"text": text, "reply": {"in_reply_to_tweet_id": reply_to}}
        media_ids = [self._upload(api, photo) for photo in answer_photos(session, delivery, limit=MEDIA_LIMIT)]
        if media_ids:
            tweet["media"] = {"media_ids": media_ids}
        try:
            answer = api.request("POST", "/2/tweets", body=tweet)
        except ChannelError as exc:
            if "duplicate content" not in exc.message:
                raise
            # X refuses the same text twice: an earlier attempt (whose answer was lost) posted it already.
            earlier = self._earlier_reply(api, required(config, "user_id", self.name), reply_to, text)
            if earlier is None:
                raise
            return earlier
        tweet_id = (answer.data.get("data") or {}).get("id")
        if not tweet_id:
            raise ChannelError(f"x: unexpected answer {answer.data!r:.200}")
        return str(tweet_id)

    def _upload(self, api: XApi, photo: OutboundPhoto) -> str:
        """One result photo uploaded (`POST /2/media/upload`); its media id for the reply."""
        answer = api.request(
            "POST",
            "/2/media/upload",
            files={"media": (photo.filename, photo.data, photo.content_type)},
            form={"media_category": "tweet_image", "media_type": photo.content_type},
        )
        media_id = (answer.data.get("data") or {}).get("id")
        if not media_id:
            raise ChannelError(f"x: unexpected media upload answer {answer.data!r:.200}")
        return str(media_id)

    def _earlier_reply(self, api: XApi, user_id: str, reply_to: str, text: str) -> str | None:
        """Our tweet replying to `reply_to` with this text, if an earlier attempt got through."""
        params = {
            "since_id": reply_to,  # our reply is newer than the tweet it answers
            "max_results": "100",
            "tweet.fields": "referenced_tweets,entities",
        }
        answer = api.request("GET", f"/2/users/{user_id}/tweets", params=params)
        for tweet in answer.data.get("data") or []:
            refs = {(r.get("type"), str(r.get("id"))) for r in tweet.get("referenced_tweets") or []}
            if ("replied_to", reply_to) in refs and _expanded(tweet) == MENTION_PREFIX.sub("", text, count=1):
                return str(tweet["id"])
        return None


def _expanded(tweet: Mapping[str, Any]) -> str:
    """A tweet's text as we wrote it: X puts "@handle " in front of a reply, replaces links with t.co ones and
    escapes &, < and >."""
    text = str(tweet.get("text") or "")
    for url in (tweet.get("entities") or {}).get("urls") or []:
        if url.get("url") and url.get("media_key"):
            # X appends a link to the attached photos; it is not part of the words we wrote.
            text = text.replace(" " + str(url["url"]), "").replace(str(url["url"]), "")
        elif url.get("url") and url.get("expanded_url"):
            text = text.replace(str(url["url"]), str(url["expanded_url"]))
    return html.unescape(MENTION_PREFIX.sub("", text, count=1))
