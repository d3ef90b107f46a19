"""Polling an account's mentions (GET /2/users/:id/mentions) since the newest one taken in.

X answers newest first and pages towards older tweets with ``next_token``; with ``since_id`` the pages stop at
the previous poll's newest. ``meta.newest_id`` of the first page becomes the next ``since_id``, but only once
every page has been read and stored: a poll cut short (rate limit) moves no cursor and the next one re-reads,
which intake recognises. Only the 800 newest mentions are reachable: a poller that fell further behind logs the
gap and records it (a ``channel_gaps`` row shown on the account's page, and ``gap_before`` in its config), since
those mentions are lost to it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from sotong.channels.base import ChannelError, required
from sotong.channels.health import record_gap
from sotong.channels.intake import TakeInResult, take_in
from sotong.channels.x.api import XApi, wait_until
from sotong.channels.x.parse import parse_payload
from sotong.channels.x.tokens import refreshed_token
from sotong.db import atomic, utcnow
from sotong.errors import NotFound
from sotong.orgs.models import Channel, ChannelAccount
from sotong.secrets import open_config

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # the most X allows per page
MAX_PAGES = 8  # 8 x 100 = the 800 newest mentions, all X keeps reachable
REACHABLE = 800
FIELDS = {
    "tweet.fields": (
        "author_id,conversation_id,created_at,in_reply_to_user_id,referenced_tweets,attachments,entities,geo"
    ),
    "expansions": "author_id,attachments.media_keys,geo.place_id",
    "media.fields": "type,url,preview_image_url,alt_text",
    "user.fields": "username,name",
    "place.fields": "full_name",
}


@dataclass
class PollResult:
    """One poll: what intake made of the mentions, the cursor it left, when the rate limit lets us back."""

    taken: TakeInResult
    since_id: str | None
    poll_after: dt.datetime | None = None


def poll(session: Session, *, account_id: int) -> PollResult:
    """Fetch mentions newer than the stored cursor, take them in oldest first, then advance the cursor."""
    account = session.get(ChannelAccount, account_id)
    if account is None or account.channel is not Channel.x:
        raise NotFound(f"no x account {account_id}")
    config = open_config(account.config)  # secrets decrypted for the platform call only
    session.rollback()  # no transaction held open while X answers
    api = XApi(config, refresh=lambda stale: refreshed_token(session, account_id=account_id, stale=stale))
    user_id = required(config, "user_id", "x")
    since = str(config["since_id"]) if config.get("since_id") else None
    params: dict[str, str] = {**FIELDS, "max_results": str(PAGE_SIZE)}
    if since:
        params["since_id"] = since
    tweets: list[dict[str, Any]] = []
    includes: dict[str, list[Any]] = {}
    newest: str | None = None
    cut_short: ChannelError | None = None
    more = False
    reset_at: float | None = None
    for page in range(MAX_PAGES):
        answer = api.request("GET", f"/2/users/{user_id}/mentions", params=params)
        meta = answer.data.get("meta") or {}
        if page == 0:
            newest = str(meta["newest_id"]) if meta.get("newest_id") else None
        tweets.extend(answer.data.get("data") or [])
        for key, items in (answer.data.get("includes") or {}).items():
            includes.setdefault(key, []).extend(items)
        token = meta.get("next_token")
        more = bool(token)
        reset_at = answer.reset_at if answer.remaining == 0 else None
        if not token:
            break
        if answer.remaining == 0:
            # Asking again now would only earn a 429: stop and finish after the reset, cursor unmoved.
            cut_short = ChannelError(
                "x: rate limit reached while reading a backlog of mentions", retry_after=wait_until(reset_at)
            )
            break
        params["pagination_token"] = str(token)
    tweets.sort(key=lambda t: int(t["id"]))
    messages = parse_payload(config, {"data": tweets, "includes": includes})
    taken = take_in(session, account_id=account_id, messages=messages)
    if cut_short is not None:
        raise cut_short
    values: dict[str, Any] = {"since_id": newest or since}
    if more or len(tweets) >= REACHABLE:
        # More than X lets us read: mentions older than the oldest we got are lost to polling.
        gap = tweets[0]["id"] if tweets else None
        log.warning("x %s: more than %s mentions since the last poll; older ones are lost", account_id, REACHABLE)
        values["gap_before"] = str(gap) if gap else None
        if gap:
            at = tweets[0].get("created_at")
            before_at = dt.datetime.fromisoformat(str(at).replace("Z", "+00:00")) if at else None
            record_gap(session, account_id=account_id, reason="backlog", before_id=str(gap), before_at=before_at)
    with atomic(session):
        stored = session.get(ChannelAccount, account_id)
        assert stored is not None
        stored.config = {**(stored.config or {}), **values}
    log.info("x %s: %s new, %s seen before, cursor %s", account_id, taken.stored, taken.duplicates, values["since_id"])
    poll_after = dt.datetime.fromtimestamp(reset_at, dt.UTC) if reset_at and reset_at > utcnow().timestamp() else None
    return PollResult(taken=taken, since_id=values["since_id"], poll_after=poll_after)
