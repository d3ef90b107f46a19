"""Polling an account's mention notifications since the last one taken in.

With a cursor, pages are read forward from it (``min_id``: the oldest newer notifications first), so a backlog
larger than one poll reads (MAX_PAGES pages) is drained over the following polls, never skipped. Mastodon 4.3+
filters notifications by the account's policy, private mentions from strangers by default: every poll checks the
policy and sets it to accept private mentions (and mentions from accounts the city does not follow, new ones
included) where it does not, and takes in the notification requests (what was filtered anyway: before the policy
was set, or by the instance's moderation): each sender's mentions, read by `account_id` (which includes filtered
ones), then the request accepted so that it leaves the list. An instance older than 4.3 has no policy (404) and
filters nothing.

What cannot be read is recorded as a gap (channels/health.py `ChannelGap`, shown on the account's page): the part
of the feed older than the first poll pages back to, and a sender's filtered mentions beyond REQUEST_PAGES pages.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from mastodon import Mastodon, MastodonError, MastodonNotFoundError
from sqlalchemy.orm import Session

from sotong.channels.health import record_gap
from sotong.channels.intake import TakeInResult, take_in
from sotong.channels.mastodon.api import client, translate
from sotong.channels.mastodon.parse import parse_notifications
from sotong.db import atomic
from sotong.errors import NotFound
from sotong.orgs.models import Channel, ChannelAccount
from sotong.secrets import open_config

log = logging.getLogger(__name__)

PAGE_SIZE = 40  # Mastodon's default and the most a page is worth asking for
MAX_PAGES = 20  # a cursor this far behind is a backlog to drain over several polls, not in one
REQUEST_PAGES = 5  # one filtered sender's mentions read per request: a flood from one account is not read whole
# What a city account must receive: private mentions and mentions from anyone (it follows nobody).
OPEN_POLICY = {
    "for_private_mentions": "accept",
    "for_not_following": "accept",
    "for_not_followers": "accept",
    "for_new_accounts": "accept",
}


@dataclass(frozen=True)
class Gap:
    """What a poll could not read: everything older than `before_id` (at `before_at`)."""

    reason: str
    before_id: str
    before_at: str | None
    detail: str | None = None


@dataclass
class PollResult:
    """One poll: what intake made of the mentions, and the cursor it left."""

    taken: TakeInResult
    since_id: str | None


def poll(session: Session, *, account_id: int) -> PollResult:
    """Fetch mentions newer than the stored cursor, take them in oldest first, then advance the cursor."""
    account = session.get(ChannelAccount, account_id)
    if account is None or account.channel is not Channel.mastodon:
        raise NotFound(f"no mastodon account {account_id}")
    config = open_config(account.config)  # secrets decrypted for the platform call only
    session.rollback()  # no transaction held open while the instance answers
    api = client(config)
    since = str(config["since_id"]) if config.get("since_id") else None
    gaps: list[Gap] = []
    try:
        own_id = str(config.get("own_account_id") or api.me()["id"])
        settled = _policy_accepts(api)
        notifications, accept = _read_requests(api, account_id, gaps)
        if since is None:
            # The first poll: the newest pages, back to the oldest Mastodon lets us page to.
            page = api.notifications(types=["mention"], limit=PAGE_SIZE)
            first: list[dict[str, Any]] = []
            for _ in range(MAX_PAGES):
                if not page:
                    break
                first.extend(page)
                if len(page) < PAGE_SIZE:
                    page = None
                    break
                page = api.fetch_next(page)
            notifications.extend(first)
            if page:  # Mastodon had more, older ones than one poll pages back to: they are not read
                oldest = min(first, key=lambda n: int(n["id"]))
                gaps.append(Gap("backlog", str(oldest["id"]), _at(oldest)))
        else:
            cursor = since
            for _ in range(MAX_PAGES):
                page = api.notifications(types=["mention"], min_id=cursor, limit=PAGE_SIZE)
                if not page:
                    break
                notifications.extend(page)
                cursor = str(max(int(n["id"]) for n in page))
                if len(page) < PAGE_SIZE:
                    break
    except Exception as exc:
        raise translate(api, exc) from exc
    config["own_account_id"] = own_id
    # Requests carry their own ids: the cursor follows the main feed only.
    feed = [n for n in notifications if not n.get("_request")]
    notifications.sort(key=lambda n: int(n["id"]))
    messages = parse_notifications(config, notifications)
    taken = take_in(session, account_id=account_id, messages=messages)
    # Accepted only once their mentions are stored: a crash before this reads the same requests again.
    for request_id in accept:
        try:
            api.accept_notification_request(request_id)
        except MastodonError as exc:
            log.warning("mastodon %s: notification request %s not accepted (%s)", account_id, request_id, exc)
    for gap in gaps:
        record_gap(
            session,
            account_id=account_id,
            reason=gap.reason,
            before_id=gap.before_id,
            before_at=_when(gap.before_at),
            detail=gap.detail,
        )
    newest = str(max(int(n["id"]) for n in feed)) if feed else since
    # The cursor moves only after every message is stored: a crash in between re-reads them, harmlessly.
    with atomic(session):
        stored = session.get(ChannelAccount, account_id)
        assert stored is not None
        values: dict[str, object] = {"since_id": newest, "own_account_id": own_id}
        if settled:
            values["policy_accepts"] = True
        stored.config = {**(stored.config or {}), **values}
    log.info("mastodon %s: %s new, %s seen before, cursor %s", account_id, taken.stored, taken.duplicates, newest)
    return PollResult(taken=taken, since_id=newest)


def _policy_accepts(api: Mastodon) -> bool:
    """Set the account's notification policy to accept what citizens send; False when it could not be set (the
    token lacks write:notifications, say): logged, and tried again on the next poll."""
    try:
        policy = api.notifications_policy()
        wrong = {key: value for key, value in OPEN_POLICY.items() if policy.get(key) != value}
        if wrong:
            api.update_notifications_policy(**wrong)
            log.info("mastodon: notification policy set to accept %s", ", ".join(sorted(wrong)))
    except MastodonNotFoundError:
        return True  # before 4.3: no policy, nothing filtered
    except MastodonError as exc:
        log.warning("mastodon: could not set the notification policy (%s): private mentions may be filtered", exc)
        return False
    return True


def _read_requests(api: Mastodon, account_id: int, gaps: list[Gap]) -> tuple[list[dict[str, Any]], list[str]]:
    """The mentions of each pending notification request (what the policy filtered), and the requests to accept
    once they are stored. A sender with more than REQUEST_PAGES pages of them leaves a gap."""
    try:
        requests = api.notification_requests(limit=PAGE_SIZE)
    except MastodonNotFoundError:
        return [], []  # before 4.3: nothing is filtered
    except MastodonError as exc:
        log.warning("mastodon %s: notification requests unreadable (%s)", account_id, exc)
        return [], []
    found: list[dict[str, Any]] = []
    accept: list[str] = []
    for request in requests or []:
        sender = (request.get("account") or {}).get("id")
        if not sender:
            continue
        # With `account_id`, Mastodon lists that sender's notifications filtered or not.
        page = api.notifications(account_id=sender, types=["mention"], limit=PAGE_SIZE)
        read: list[dict[str, Any]] = []
        for _ in range(REQUEST_PAGES):
            if not page:
                break
            read.extend(page)
            if len(page) < PAGE_SIZE:
                page = None
                break
            page = api.fetch_next(page)
        if page:
            oldest = min(read, key=lambda n: int(n["id"]))
            acct = str((request.get("account") or {}).get("acct") or sender)
            gaps.append(Gap("requests", str(oldest["id"]), _at(oldest), f"@{acct}"))
        found.extend({**notification, "_request": True} for notification in read)
        accept.append(str(request["id"]))
    if found:
        log.info("mastodon %s: %s filtered mentions taken in from %s requests", account_id, len(found), len(accept))
    return found, accept


def _at(notification: dict[str, Any]) -> str | None:
    at = notification.get("created_at")
    if isinstance(at, dt.datetime):
        return at.isoformat()
    return str(at) if at else None


def _when(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
