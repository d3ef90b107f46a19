"""Mentions as X hands them over (a v2 mentions page, or an Account Activity event) turned into inbound messages."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from sotong.cases.inbound import InboundMessage
from sotong.channels.base import (
    MalformedPayload,
    json_body,
)

# Where X serves the photos of tweets: the only hosts their `media_urls` are fetched from (channels/intake/media.py).
MEDIA_HOSTS = ("pbs.twimg.com", "ton.twimg.com")


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


def parse_payload(config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
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
        return [m for m in (_v1(t, own_id) for t in events) if m is not None]
    tweets = payload.get("data") or []
    if not isinstance(tweets, list):
        raise MalformedPayload("x: data is not a list")
    includes = payload.get("includes") or {}
    users = {str(u.get("id")): u for u in includes.get("users") or []}
    media = {str(m.get("media_key")): m for m in includes.get("media") or []}
    places = {str(p.get("id")): p for p in includes.get("places") or []}
    return [m for m in (_v2(t, own_id, users, media, places) for t in tweets) if m is not None]


def _v2(
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
        media_hosts=MEDIA_HOSTS,
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


def _v1(tweet: Any, own_id: str) -> InboundMessage | None:
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
        media_hosts=MEDIA_HOSTS,
        raw={
            "tweet_id": str(tweet["id_str"]),
            "author_id": author,
            "media": [
                {"type": m.get("type"), "url": m.get("media_url_https"), "alt": m.get("ext_alt_text")}
                for m in entities.get("media") or []
            ],
        },
    )
