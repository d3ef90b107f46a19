"""Polling an account's mention notifications since the last one taken in."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.channels.base import ChannelError
from sotong.channels.intake import TakeInResult, take_in
from sotong.channels.mastodon.connector import MastodonConnector, client, translate
from sotong.db import atomic, utcnow
from sotong.errors import NotFound
from sotong.orgs.models import Channel, ChannelAccount

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
    config = dict(account.config or {})
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
    messages = MastodonConnector().parse(config, notifications)
    taken = take_in(session, account_id=account_id, messages=messages)
    newest = str(notifications[-1]["id"]) if notifications else since
    # The cursor moves only after every message is stored: a crash in between re-reads them, harmlessly.
    with atomic(session):
        stored = session.get(ChannelAccount, account_id)
        assert stored is not None
        stored.config = {**(stored.config or {}), "since_id": newest, "own_account_id": own_id}
    log.info("mastodon %s: %s new, %s seen before, cursor %s", account_id, taken.stored, taken.duplicates, newest)
    return PollResult(taken=taken, since_id=newest)


def _record_health(session: Session, account_id: int, **values: str | None) -> None:
    """Keep the account's poll health beside its cursor: admins read it, the next poll_all honours poll_after."""
    with atomic(session):
        account = session.get(ChannelAccount, account_id)
        if account is not None:
            account.config = {**(account.config or {}), **values}


def poll_all(session: Session, *, now: dt.datetime | None = None) -> dict[int, PollResult | str]:
    """Poll every enabled Mastodon account once; a failing account is recorded and skipped, never fatal.

    An account the instance rate-limited is left alone until the reset it announced (``poll_after``).
    """
    now = now or utcnow()
    ids = list(
        session.scalars(
            select(ChannelAccount.id).where(ChannelAccount.channel == Channel.mastodon, ChannelAccount.enabled)
        )
    )
    session.rollback()
    outcomes: dict[int, PollResult | str] = {}
    for account_id in ids:
        account = session.get(ChannelAccount, account_id)
        poll_after = (account.config or {}).get("poll_after") if account is not None else None
        session.rollback()
        if isinstance(poll_after, str) and dt.datetime.fromisoformat(poll_after) > now:
            outcomes[account_id] = f"rate limited until {poll_after}"
            continue
        try:
            outcomes[account_id] = poll(session, account_id=account_id)
        except ChannelError as exc:
            session.rollback()
            log.warning("mastodon %s: poll failed: %s", account_id, exc.message)
            wait = now + dt.timedelta(seconds=exc.retry_after) if exc.retry_after else None
            _record_health(
                session,
                account_id,
                last_poll_at=now.isoformat(),
                last_error=exc.message,
                poll_after=wait.isoformat() if wait else None,
            )
            outcomes[account_id] = exc.message
            continue
        _record_health(session, account_id, last_poll_at=now.isoformat(), last_error=None, poll_after=None)
    return outcomes
