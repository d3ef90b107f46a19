"""X API v2 through a thin httpx client: mentions parsed, webhooks (CRC, signature) checked, replies threaded.

Account config (secrets sealed at rest, channels/credentials.py): ``base_url`` (default ``https://api.twitter.com``),
``bearer_token`` (an OAuth 2.0 user-context token of the official account, allowed to read mentions, post and upload
media), ``user_id`` (the account's numeric id) and, for Account Activity webhooks, ``consumer_secret``. Kept by the
poller: ``since_id``. An answer's result photos are uploaded (``POST /2/media/upload``) and attached to the reply.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import html
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx
from sqlalchemy.orm import Session

from sotong.cases.attachments import OutboundPhoto, answer_photos
from sotong.cases.inbound import InboundMessage
from sotong.channels.base import (
    ChannelError,
    Connector,
    Handshake,
    MalformedPayload,
    SignatureError,
    constant_time_equal,
    json_body,
    required,
)
from sotong.channels.render import reply_text
from sotong.channels.x.text import shorten
from sotong.outbox.transports import Delivery

DEFAULT_BASE_URL = "https://api.twitter.com"
TIMEOUT = 10.0
# Photos per post X accepts.
MEDIA_LIMIT = 4
DEFAULT_RATE_LIMIT_WAIT = 15 * 60.0  # X's windows are 15 minutes: the longest a reset can be away
SIGNATURE_HEADER = "x-twitter-webhooks-signature"


@dataclass(frozen=True)
class Answer:
    """A successful API answer: its JSON and the rate-limit state its headers announced."""

    data: dict[str, Any]
    remaining: int | None
    reset_at: float | None  # epoch seconds


class XApi:
    """The few X API v2 calls we make, against a configurable base URL (tests point it at a local fake)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.base = str(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.token = required(config, "bearer_token", "x")

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        form: dict[str, str] | None = None,
    ) -> Answer:
        """One call (JSON `body`, or a multipart upload of `files` and `form`); a refusal becomes a ChannelError
        that says whether and when to retry."""
        try:
            response = httpx.request(
                method,
                f"{self.base}{path}",
                params=params,
                json=body,
                files=files,
                data=form,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=TIMEOUT,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            raise ChannelError(f"x: network error: {exc}") from exc
        remaining, reset_at = _rate_limit(response)
        if not response.is_success:
            raise _error(response, reset_at)
        try:
            data = response.json()
        except ValueError as exc:
            raise ChannelError(f"x: unexpected answer {response.text[:200]!r}") from exc
        return Answer(data if isinstance(data, dict) else {}, remaining, reset_at)


def _rate_limit(response: httpx.Response) -> tuple[int | None, float | None]:
    remaining = response.headers.get("x-rate-limit-remaining")
    reset = response.headers.get("x-rate-limit-reset")
    return (
        int(remaining) if remaining and remaining.isdigit() else None,
        float(reset) if reset and reset.isdigit() else None,
    )


def wait_until(reset_at: float | None) -> float:
    """Seconds until an announced reset (epoch seconds); X sends no Retry-After, only the reset."""
    if reset_at is None:
        return DEFAULT_RATE_LIMIT_WAIT
    return max(reset_at - time.time(), 1.0)


def _error(response: httpx.Response, reset_at: float | None) -> ChannelError:
    """An X error (problem JSON: title, detail, type) as a ChannelError: 429 waits, 5xx retries, the rest is final."""
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    problem = problem if isinstance(problem, dict) else {}
    detail = problem.get("detail") or problem.get("title") or response.text[:200]
    reason = f"x: HTTP {response.status_code}: {detail}"
    if response.status_code == 429:
        return ChannelError(reason, retry_after=wait_until(reset_at))
    if response.status_code >= 500 or response.status_code == 408:
        return ChannelError(reason)
    # 401 revoked token, 403 blocked / reply to a deleted or protected tweet, 404 resource not found: final.
    return ChannelError(reason, permanent=True)


def _when(value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            if value[:4].isdigit():
                parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))  # v2: 2026-03-02T09:00:00.000Z
            else:
                parsed = parsedate_to_datetime(value)  # v1.1 webhooks: Mon Mar 02 09:00:00 +0000 2026
        except (TypeError, ValueError) as exc:
            raise MalformedPayload(f"x: bad created_at {value!r}") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    raise MalformedPayload(f"x: bad created_at {value!r}")


def _v1_created_at(value: str) -> str:
    # "Mon Mar 02 09:00:00 +0000 2026" → an RFC 2822 date parsedate_to_datetime understands.
    parts = value.split()
    return f"{parts[0]}, {parts[2]} {parts[1]} {parts[5]} {parts[3]} {parts[4]}" if len(parts) == 6 else value


def crc_response(secret: str, token: str) -> str:
    """X's CRC answer: sha256= and the base64 HMAC-SHA256 of the crc_token under the consumer secret."""
    digest = hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


class XConnector(Connector):
    """Mentions in (polled, see `x.poll`, or pushed by Account Activity), replies out with in_reply_to_tweet_id."""

    name: ClassVar[str] = "x"
    accepts_webhooks: ClassVar[bool] = True

    def handshake(self, config: Mapping[str, Any], query: Mapping[str, str]) -> Handshake:
        """The CRC check X sends when registering the webhook and every hour after."""
        token = query.get("crc_token")
        if not token:
            raise SignatureError("x: no crc_token", missing=True)
        secret = required(config, "consumer_secret", self.name)
        return Handshake(json.dumps({"response_token": crc_response(secret, token)}), "application/json")

    def verify(self, config: Mapping[str, Any], *, headers: Mapping[str, str], body: bytes) -> None:
        """x-twitter-webhooks-signature: sha256= and the base64 HMAC-SHA256 of the raw body."""
        given = headers.get(SIGNATURE_HEADER)
        if not given:
            raise SignatureError(f"x: no {SIGNATURE_HEADER} header", missing=True)
        secret = str(config.get("consumer_secret") or "")
        if not secret:
            raise SignatureError("x: account has no consumer_secret to check webhooks with")
        if not constant_time_equal(given, crc_response(secret, body.decode("latin-1"))):
            raise SignatureError("x: signature does not match the body")

    def parse(self, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
        """A v2 mentions page ({data, includes}) or an Account Activity event; our own tweets are left out."""
        if isinstance(payload, (bytes, str)):
            payload = json_body(payload)
        if not isinstance(payload, dict):
            raise MalformedPayload("x: expected a JSON object")
        own_id = str(config.get("user_id") or "")
        if "for_user_id" in payload:
            if own_id and str(payload["for_user_id"]) != own_id:
                return []  # events for another account subscribed to the same URL
            events = payload.get("tweet_create_events") or []
            if not isinstance(events, list):
                raise MalformedPayload("x: tweet_create_events is not a list")
            return [m for m in (self._v1(t, own_id) for t in events) if m is not None]
        tweets = payload.get("data") or []
        if not isinstance(tweets, list):
            raise MalformedPayload("x: data is not a list")
        includes = payload.get("includes") or {}
        users = {str(u.get("id")): u for u in includes.get("users") or []}
        media = {str(m.get("media_key")): m for m in includes.get("media") or []}
        places = {str(p.get("id")): p for p in includes.get("places") or []}
        return [m for m in (self._v2(t, own_id, users, media, places) for t in tweets) if m is not None]

    def _v2(
        self,
        tweet: Any,
        own_id: str,
        users: dict[str, Any],
        media: dict[str, Any],
        places: dict[str, Any],
    ) -> InboundMessage | None:
        if not isinstance(tweet, dict) or not tweet.get("id"):
            raise MalformedPayload("x: a tweet without its id")
        author = str(tweet.get("author_id") or "")
        if author == own_id:
            return None  # our own reply, which mentions nobody new but may still show up
        refs = {r.get("type"): str(r.get("id")) for r in tweet.get("referenced_tweets") or []}
        if "retweeted" in refs:
            return None  # a retweet repeats a complaint, it is not a new one
        text = html.unescape(str(tweet.get("text") or "")).strip()  # X escapes &, < and > in tweet text
        if not text:
            return None
        user = users.get(author) or {}
        keys = (tweet.get("attachments") or {}).get("media_keys") or []
        attached = [media[k] for k in keys if k in media]
        place = places.get(str((tweet.get("geo") or {}).get("place_id") or ""))
        return InboundMessage(
            external_id=str(tweet["id"]),
            text=text,
            received_at=_when(tweet.get("created_at")),
            author_handle=f"@{user['username']}" if user.get("username") else author or None,
            author_name=str(user.get("name") or "") or None,
            in_reply_to_external_id=refs.get("replied_to"),
            address=str(place.get("full_name")) if place and place.get("full_name") else None,
            media_urls=tuple(str(m["url"]) for m in attached if m.get("type") == "photo" and m.get("url")),
            raw={
                "tweet_id": str(tweet["id"]),
                "author_id": author,
                "conversation_id": tweet.get("conversation_id"),
                "media": [
                    {"type": m.get("type"), "url": m.get("url") or m.get("preview_image_url"), "alt": m.get("alt_text")}
                    for m in attached
                ],
            },
        )

    def _v1(self, tweet: Any, own_id: str) -> InboundMessage | None:
        if not isinstance(tweet, dict) or not tweet.get("id_str"):
            raise MalformedPayload("x: a tweet_create_event without id_str")
        user = tweet.get("user") or {}
        author = str(user.get("id_str") or "")
        if author == own_id or "retweeted_status" in tweet:
            return None
        extended = tweet.get("extended_tweet") or {}
        text = html.unescape(str(extended.get("full_text") or tweet.get("text") or "")).strip()
        if not text:
            return None
        entities = extended.get("extended_entities") or tweet.get("extended_entities") or {}
        reply_to = tweet.get("in_reply_to_status_id_str")
        return InboundMessage(
            external_id=str(tweet["id_str"]),
            text=text,
            received_at=_when(_v1_created_at(str(tweet.get("created_at") or ""))),
            author_handle=f"@{user['screen_name']}" if user.get("screen_name") else author or None,
            author_name=str(user.get("name") or "") or None,
            in_reply_to_external_id=str(reply_to) if reply_to else None,
            media_urls=tuple(
                str(m["media_url_https"])
                for m in entities.get("media") or []
                if m.get("type") == "photo" and m.get("media_url_https")
            ),
            raw={
                "tweet_id": str(tweet["id_str"]),
                "author_id": author,
                "media": [
                    {"type": m.get("type"), "url": m.get("media_url_https"), "alt": m.get("ext_alt_text")}
                    for m in entities.get("media") or []
                ],
            },
        )

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Reply to the citizen's tweet; a long text becomes its beginning and the link to the case page."""
        config = self.account_config(delivery, session=session)
        api = XApi(config)
        reply_to = str(delivery.payload.get("in_reply_to_external_id") or "")
        if not reply_to:
            raise ChannelError("x: nothing to reply to (no original tweet id)", permanent=True)
        text = shorten(reply_text(delivery), str(delivery.payload.get("tracking_url") or ""))
        if delivery.attempt > 1:
            # X takes no idempotency key: a retry first looks for the reply an earlier attempt may have posted.
            earlier = self._earlier_reply(api, required(config, "user_id", self.name), reply_to, text)
            if earlier is not None:
                return earlier
        tweet: dict[str, Any] = {"text": text, "reply": {"in_reply_to_tweet_id": reply_to}}
        media_ids = [self._upload(api, photo) for photo in answer_photos(session, delivery, limit=MEDIA_LIMIT)]
        if media_ids:
            tweet["media"] = {"media_ids": media_ids}
        answer = api.request("POST", "/2/tweets", body=tweet)
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
            if ("replied_to", reply_to) in refs and _expanded(tweet) == text:
                return str(tweet["id"])
        return None


def _expanded(tweet: Mapping[str, Any]) -> str:
    """A tweet's text as we wrote it: X replaces links with t.co ones and escapes &, < and >."""
    text = str(tweet.get("text") or "")
    for url in (tweet.get("entities") or {}).get("urls") or []:
        if url.get("url") and url.get("media_key"):
            # X appends a link to the attached photos; it is not part of the words we wrote.
            text = text.replace(" " + str(url["url"]), "").replace(str(url["url"]), "")
        elif url.get("url") and url.get("expanded_url"):
            text = text.replace(str(url["url"]), str(url["expanded_url"]))
    return html.unescape(text)
