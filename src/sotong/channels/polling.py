"""Scheduled polling: every enabled account of every polled channel, at most once per interval, by one worker.

Several workers may run `poll_due` at the same moment. An account is claimed before it is polled by a
conditional UPDATE that writes the new ``last_poll_at`` into its config only if the stored value is still the
one this worker read (compare-and-swap); a worker that loses the race skips the account. On PostgreSQL the
UPDATE locks the row, and the loser's UPDATE re-reads the committed value and matches nothing; on SQLite
writers are serialised. The claim is the poll's timestamp, so a crashed poll is simply retried one interval
later.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from sotong.channels import registry
from sotong.channels.base import ChannelError, IntakeCounts, Polled
from sotong.channels.health import record_attempt
from sotong.db import atomic, utcnow
from sotong.errors import NotFound
from sotong.orgs.models import Channel, ChannelAccount
from sotong.settings import get_settings

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]


Poller = Callable[..., Polled]


def _pollers() -> dict[Channel, Poller]:
    """Each polled channel's poll, as its connector declares it (channels/registry.py)."""
    return {Channel(name): registry.CONNECTORS[name].poll for name in registry.polled()}


def _polled_channels() -> list[Channel]:
    return [Channel(name) for name in registry.polled()]


@dataclass(frozen=True)
class AccountPoll:
    """One account's poll: the intake result, or the error kept in its health."""

    account_id: int
    taken: IntakeCounts | None = None
    error: str | None = None
    skipped: str | None = None  # not polled: rate limited, or another worker has it


def _when(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _rate_limited(config: dict[str, Any], now: dt.datetime) -> str | None:
    poll_after = _when(config.get("poll_after"))
    return f"rate limited until {poll_after.isoformat()}" if poll_after and poll_after > now else None


def _stamped(session: Session, stamp: str) -> ColumnElement[Any]:
    """The account's config with ``last_poll_at`` set in SQL, leaving every other key as the database has it."""
    if session.get_bind().dialect.name == "postgresql":
        patch = func.jsonb_build_object(literal("last_poll_at", Text), cast(literal(stamp), Text))
        return ChannelAccount.config.op("||", return_type=JSONB)(patch)
    return func.json_set(ChannelAccount.config, "$.last_poll_at", stamp)


def claim(session: Session, *, account_id: int, seen: Any, now: dt.datetime) -> bool:
    """Take the account for this poll if its ``last_poll_at`` is still `seen`; False when another worker won."""
    stored = ChannelAccount.config["last_poll_at"].as_string()
    condition = stored.is_(None) if seen is None else stored == str(seen)
    with atomic(session):
        result = session.execute(
            update(ChannelAccount)
            .where(ChannelAccount.id == account_id, condition)
            .values(config=_stamped(session, now.isoformat()))
            .execution_options(synchronize_session=False)
        )
    session.expire_all()  # the ORM's copy of the config predates the UPDATE
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _record_health(session: Session, account_id: int, *, stored: int = 0, **values: str | None) -> None:
    """Keep the poll's outcome beside the cursor (the next poll honours ``poll_after``) and in the health table
    admins read (channels/health.py), in one transaction."""
    poll_after = _when(values.get("poll_after"))
    with atomic(session):
        account = session.get(ChannelAccount, account_id)
        if account is not None:
            account.config = {**(account.config or {}), **values}
            record_attempt(
                session,
                account_id=account_id,
                source="poll",
                error=values.get("last_error"),
                stored=stored,
                rate_limited_until=poll_after,
            )


def _run(session: Session, account_id: int, channel: Channel, now: dt.datetime) -> AccountPoll:
    """Poll one claimed account; a failure is recorded on the account and returned, never raised."""
    try:
        polled = _pollers()[channel](session, account_id=account_id)
    except ChannelError as exc:
        session.rollback()
        log.warning("%s %s: poll failed: %s", channel.value, account_id, exc.message)
        wait = now + dt.timedelta(seconds=exc.retry_after) if exc.retry_after else None
        _record_health(session, account_id, last_error=exc.message, poll_after=wait.isoformat() if wait else None)
        return AccountPoll(account_id, error=exc.message)
    except Exception as exc:
        # A bug or an unexpected answer for one account must not stop the other 39 from being polled.
        session.rollback()
        log.exception("%s %s: poll crashed", channel.value, account_id)
        _record_health(session, account_id, last_error=f"{type(exc).__name__}: {exc}", poll_after=None)
        return AccountPoll(account_id, error=f"{type(exc).__name__}: {exc}")
    # A poll that used up the rate limit says when the next one may ask (X's x-rate-limit-reset).
    poll_after = getattr(polled, "poll_after", None)
    _record_health(
        session,
        account_id,
        stored=polled.taken.stored,
        last_error=None,
        poll_after=poll_after.isoformat() if poll_after else None,
    )
    return AccountPoll(account_id, taken=polled.taken)


def poll_account(session: Session, *, account_id: int, now: dt.datetime | None = None) -> AccountPoll:
    """Poll one account now, whatever its interval (``sotong channels poll --account``); rate limits still hold."""
    now = now or utcnow()
    account = session.get(ChannelAccount, account_id)
    if account is None or account.channel not in _polled_channels():
        raise NotFound(f"no polled channel account {account_id}")
    channel, config = account.channel, dict(account.config or {})
    session.rollback()
    limited = _rate_limited(config, now)
    if limited:
        return AccountPoll(account_id, skipped=limited)
    if not claim(session, account_id=account_id, seen=config.get("last_poll_at"), now=now):
        return AccountPoll(account_id, skipped="being polled by another worker")
    return _run(session, account_id, channel, now)


def poll_due(session_factory: SessionFactory, *, now: dt.datetime | None = None) -> int:
    """Poll every enabled account of a polled channel whose last poll is older than the interval; how many."""
    now = now or utcnow()
    interval = dt.timedelta(seconds=get_settings().channel_poll_seconds)
    polled = 0
    with session_factory() as session:
        rows = session.execute(
            select(ChannelAccount.id, ChannelAccount.channel, ChannelAccount.config)
            .where(ChannelAccount.channel.in_(_polled_channels()), ChannelAccount.enabled)
            .order_by(ChannelAccount.id)
        ).all()
        session.rollback()
        for account_id, channel, config in rows:
            config = dict(config or {})
            last = _when(config.get("last_poll_at"))
            if (last is not None and now - last < interval) or _rate_limited(config, now):
                continue
            if not claim(session, account_id=account_id, seen=config.get("last_poll_at"), now=now):
                continue  # another worker took it between our read and our claim
            _run(session, account_id, channel, now)
            polled += 1
    return polled
