"""Polling an account's mention notifications since the last one taken in."""

from __future__ import annotations

import logging
from dataclasses import dataclass

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
    try:
        own_id = str(config.get("own_account_id") or api.me()["id"])
        notifications = []
        page = api.notifications(types=["mention"], since_id=since, limit=PAGE_SIZE)
        for _ in range(MAX_PAGES):
            if not page:
                break
            fresh = [n for n in page if since is None or int(n["id"]) > int(since)]
            notifications.extend(fresh)
            if len(fresh) < len(page) or len(page) < PAGE_SIZE:
                break  # Mastodon's next link drops since_id: stop where the last poll ended, or at the end
            page = api.fetch_next(page)
    except Exception as exc:
        raise translate(api, exc) from exc
    config["own_account_id"] = own_id
    notifications.sort(key=lambda n: int(n["id"]))
    messages = parse_notifications(config, notifications)
    taken = take_in(session, account_id=account_id, messages=messages)
    newest = str(notifications[-1]["id"]) if notifications else since
    # The cursor moves only after every message is stored: a crash in between re-reads them, harmlessly.
    with atomic(session):
        stored = session.get(ChannelAccount, account_id)
        assert stored is not None
        stored.config = {**(stored.config or {}), "since_id": newest, "own_account_id": own_id}
    log.info("mastodon %s: %s new, %s seen before, cursor %s", account_id, taken.stored, taken.duplicates, newest)
    return PollResult(taken=taken, since_id=newest)
