"""How each official account is doing: last poll, last intake, last error, rate-limit state, and gaps.

Written by the poll loop (channels/polling.py) and the webhook endpoint (channels/hooks.py) after each
attempt, read by the admin page (/staff/admin/channels) and `sotong channels list`. One row per account,
kept apart from ``ChannelAccount.config`` so a health write never touches (or races with) credentials.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from sotong.db import Base, BigId, UTCDateTime, atomic, utcnow

log = logging.getLogger(__name__)

ERROR_LENGTH = 1000
# A busy webhook account (a thousand deliveries a second) records its successes at most this often per process:
# health is for people, and one more write per delivery would halve the intake rate. Errors are always recorded.
SUCCESS_THROTTLE_SECONDS = 10.0
_last_success_write: dict[int, float] = {}


class AccountHealth(Base):
    """The latest outcome of talking to one account's platform."""

    __tablename__ = "channel_account_health"

    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("channel_accounts.id"), primary_key=True)
    last_poll_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # last poll or webhook that worked
    last_intake_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # last time a new message was stored
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rate_limited_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_source: Mapped[str | None] = mapped_column(String(16))  # "poll" or "webhook"
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChannelGap(Base):
    """Messages the platform would no longer give us: older than `before_id` / `before_at` (and, for one sender's
    filtered messages, from `detail`). A poller that cannot reach everything says so here instead of losing it
    silently; the account's page shows it, so staff can look on the platform itself."""

    __tablename__ = "channel_gaps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("channel_accounts.id"), index=True)
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "backlog": the feed's older part beyond what the API pages back to; "requests": a filtered sender's.
    reason: Mapped[str] = mapped_column(String(32))
    before_id: Mapped[str | None] = mapped_column(String(200))  # everything older than this platform id is missing
    before_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # ... and older than this time
    detail: Mapped[str | None] = mapped_column(Text)


def record_gap(
    session: Session,
    *,
    account_id: int,
    reason: str,
    before_id: str | None,
    before_at: dt.datetime | None,
    detail: str | None = None,
) -> None:
    """Keep one gap of the account (logged too): messages older than `before_id` / `before_at` were not read."""
    log.warning(
        "account %s: messages older than %s (%s) could not be read: %s", account_id, before_id, before_at, reason
    )
    with atomic(session):
        session.add(
            ChannelGap(account_id=account_id, reason=reason, before_id=before_id, before_at=before_at, detail=detail)
        )


def gaps_of(session: Session, account_id: int, limit: int = 20) -> list[ChannelGap]:
    """The account's latest gaps, newest first."""
    query = select(ChannelGap).where(ChannelGap.account_id == account_id)
    return list(session.scalars(query.order_by(ChannelGap.detected_at.desc(), ChannelGap.id.desc()).limit(limit)))


def _upsert(session: Session, account_id: int, values: dict[str, object]) -> None:
    """Insert or update the account's row in one statement: two workers reporting at once cannot collide."""
    values = {**values, "updated_at": utcnow()}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(AccountHealth).values(account_id=account_id, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["account_id"], set_=values))


def record_attempt(
    session: Session,
    *,
    account_id: int,
    source: str,
    error: str | None = None,
    stored: int = 0,
    rate_limited_until: dt.datetime | None = None,
    now: dt.datetime | None = None,
    throttle: bool = False,
) -> None:
    """Record one poll or webhook delivery: success (and whether it brought new messages) or its error.

    An error keeps the last good times; a success keeps the last error (admins want to see what went wrong
    last, and when) but it is shown as resolved because `last_ok_at` is later. With `throttle`, a success is
    skipped when this process recorded one for the account within SUCCESS_THROTTLE_SECONDS.
    """
    if throttle and error is None:
        tick = time.monotonic()
        if tick - _last_success_write.get(account_id, -SUCCESS_THROTTLE_SECONDS) < SUCCESS_THROTTLE_SECONDS:
            return
        _last_success_write[account_id] = tick
    now = now or utcnow()
    values: dict[str, object] = {"last_source": source, "rate_limited_until": rate_limited_until}
    if source == "poll":
        values["last_poll_at"] = now
    if error is None:
        values["last_ok_at"] = now
        if stored:
            values["last_intake_at"] = now
    else:
        values["last_error"] = error[:ERROR_LENGTH]
        values["last_error_at"] = now
    with atomic(session):
        _upsert(session, account_id, values)


def health_of(session: Session, account_ids: list[int]) -> dict[int, AccountHealth]:
    """The health rows of these accounts, by account id (accounts never polled nor called have none)."""
    if not account_ids:
        return {}
    rows = session.scalars(select(AccountHealth).where(AccountHealth.account_id.in_(account_ids)))
    return {row.account_id: row for row in rows}


# How a connector words a refresh token the platform refused (x/tokens.py, email/oauth.py): no retry helps until an
# administrator signs the account in again, so the admin pages say that, in the reader's language.
SIGN_IN_NEEDED = "sign-in needed"


def needs_sign_in(health: AccountHealth | None) -> bool:
    """True while the account's latest failure is a refused token renewal (shown as "다시 로그인 필요")."""
    return is_failing(health) and health is not None and SIGN_IN_NEEDED in (health.last_error or "")


# How `channels.base.required` words a setting the account lacks: not a failure of the platform, a set-up to finish.
_LACKS = re.compile(r"account config lacks '([A-Za-z0-9_]+)'")


def missing_settings(health: AccountHealth | None) -> list[str]:
    """The settings the account's latest failure said it lacks (empty when it failed otherwise or did not fail):
    such an account is shown as "needs set-up", not as failing."""
    if not is_failing(health) or health is None:
        return []
    return _LACKS.findall(health.last_error or "")


def is_failing(health: AccountHealth | None) -> bool:
    """True when the latest attempt failed (an error newer than the last success)."""
    if health is None or health.last_error_at is None:
        return False
    return health.last_ok_at is None or health.last_error_at >= health.last_ok_at
