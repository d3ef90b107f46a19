"""Polling an account's mention notifications since the last one taken in.

With a cursor, pages are read forward from it (``min_id``: the oldest newer notifications first), so a backlog
larger than one poll reads (MAX_PAGES pages) is drained over the following polls, never skipped. Mastodon 4.3+
filters notifications by the account's policy, private mentions from strangers by default: the first poll sets the
policy to accept private mentions (and mentions from accounts the city does not follow, new ones included), and
takes in the last post of every notification request filtered before that. An instance older than 4.3 has no
policy (404) and filters nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from mastodon import Mastodon, MastodonError, MastodonNotFoundError
from sqlalchemy.orm import Session

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
# What a city account must receive: private mentions and mentions from anyone (it follows nobody).
OPEN_POLICY = {
    "for_private_mentions": "accept",
    "for_not_following": "accept",
    "for_not_followers": "accept",
    "for_new_accounts": "accept",
}


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
    settled = bool(config.get("policy_accepts"))
    try:
        own_id = str(config.get("own_account_id") or api.me()["id"])
        notifications = [] if settled else _accept_and_read_requests(api, account_id)
        settled = settled or _policy_accepts(api)
        if since is None:
            # The first poll: the newest pages, back to the oldest Mastodon lets us page to.
            page = api.notifications(types=["mention"], limit=PAGE_SIZE)
            for _ in range(MAX_PAGES):
                if not page:
                    break
                notifications.extend(page)
                if len(page) < PAGE_SIZE:
                    break
                page = api.fetch_next(page)
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


def _accept_and_read_requests(api: Mastodon, account_id: int) -> list[dict[str, Any]]:
    """The last post of each notification request (mentions filtered before the policy was set), as notifications."""
    try:
        requests = api.notification_requests(limit=PAGE_SIZE)
    except MastodonNotFoundError:
        return []
    except MastodonError as exc:
        log.warning("mastodon %s: notification requests unreadable (%s)", account_id, exc)
        return []
    found = []
    for request in requests or []:
        status = request.get("last_status")
        if status:
            found.append({"id": str(request["id"]), "type": "mention", "account": request.get("account"),
                          "status": status, "created_at": request.get("updated_at"), "_request": True})  # fmt: skip
    if found:
        log.info("mastodon %s: %s filtered conversations taken in from notification requests", account_id, len(found))
    return found
