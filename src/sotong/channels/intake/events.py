"""Queued webhook intake: accept a verified webhook with a share of one INSERT; the worker turns it into messages
(channels/webhooks.py `process_events`), claiming events here.

With `SOTONG_WEBHOOK_QUEUE=true` a webhook request checks the signature and parses the body (so a forged or
malformed one is still refused at once, with its reason, storing nothing), then stores the raw body here and
answers 200 once it is committed. Concurrent requests share one multi-row INSERT and one commit (`EventBatcher`),
so a flood of mentions after a storm or an accident (1,000+ messages/s) never makes a platform time out and
redeliver. The worker then takes the events in:

- claim: pending events are leased with `FOR UPDATE SKIP LOCKED` (a conditional UPDATE on SQLite), so several
  workers share the queue and a crashed worker's events are taken again when the lease runs out;
- take in: the bodies are parsed again and the messages of one account's events go through one `take_in`,
  whose unique key (channel, account, external id) makes a second take-in of the same event harmless: never
  stored twice; when that fails, each event is taken in on its own so a bad one cannot hold back the rest;
- finish: `done`, or back to `pending` with backoff, and `failed` with the reason after too many attempts
  (shown on the account's health; the raw body stays for a retry).

The same body delivered twice (a platform retry) is stored once: (account, SHA-256 of the body) is unique.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from sotong.db import Base, BigId, UTCDateTime, atomic, str_enum, utcnow
from sotong.orgs.models import Channel

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 5
BATCH = 200


class EventStatus(StrEnum):
    pending = "pending"
    processing = "processing"
    done = "done"
    failed = "failed"


class InboundEvent(Base):
    """One verified webhook body waiting to be taken in (or taken in already, kept for a while as evidence)."""

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("channel_account_id", "body_sha256", name="uq_inbound_events_account_body"),
        # The worker reads only what is waiting: a small slice of the table however long it gets.
        Index(
            "ix_inbound_events_pending",
            "available_at",
            postgresql_where=text("status IN ('pending', 'processing')"),
            sqlite_where=text("status IN ('pending', 'processing')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    channel_account_id: Mapped[int] = mapped_column(ForeignKey("channel_accounts.id"))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    body_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[EventStatus] = mapped_column(str_enum(EventStatus, 16), default=EventStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When a worker may take it: now for new events, later after a failure, the lease's end while processing.
    available_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


def event_row(*, account_id: int, org_id: int, channel: str, body: bytes) -> dict[str, Any]:
    """The `inbound_events` row of one verified webhook body, waiting for the worker from now on."""
    now = utcnow()
    return {
        "org_id": org_id,
        "channel_account_id": account_id,
        "channel": channel,
        "body": body,
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "status": EventStatus.pending.value,
        "attempts": 0,
        "available_at": now,
        "received_at": now,
    }


def insert_events(connection: Connection, rows: Sequence[dict[str, Any]]) -> set[tuple[int, str]]:
    """Insert `event_row`s in the caller's transaction; returns the (account, SHA-256) keys stored by this call.

    One multi-row INSERT ... ON CONFLICT DO NOTHING: a body already queued, or twice in `rows`, is stored once
    and its key is returned at most once.
    """
    if not rows:
        return set()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(InboundEvent)
        .on_conflict_do_nothing(index_elements=["channel_account_id", "body_sha256"])
        .returning(InboundEvent.channel_account_id, InboundEvent.body_sha256)
    )
    return {(account_id, digest) for account_id, digest in connection.execute(stmt, list(rows))}


def queue_event(session: Session, *, account_id: int, org_id: int, channel: str, body: bytes) -> bool:
    """Store a verified, parsable webhook body for the worker; False when this exact body is already queued."""
    row = event_row(account_id=account_id, org_id=org_id, channel=channel, body=body)
    with atomic(session):
        return bool(insert_events(session.connection(), [row]))


class StoreFailed(Exception):
    """The batch an event was in could not be committed: nothing of it was stored, nothing may be acknowledged."""


class EventBatcher:
    """Group commit for webhook requests: the events of concurrent requests share one INSERT and one commit.

    A request awaits the commit of its own batch, so its 200 still means the event is durable in the database;
    a batch that fails fails every request in it (none is acknowledged, the platforms redeliver). While one batch
    commits the next one fills up, so batches grow with the load and a lone request never waits for a timer.
    One batcher per event loop (per server process); the database work runs in the loop's thread pool.
    """

    def __init__(self, engine: Engine, *, max_rows: int = 500) -> None:
        self.engine = engine
        self.max_rows = max_rows
        self.loop = asyncio.get_running_loop()
        self._waiting: list[tuple[dict[str, Any], asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None  # referenced here: the loop keeps only a weak one

    async def queue(self, *, account_id: int, org_id: int, channel: str, body: bytes) -> bool:
        """Store the body with the next batch; True once committed, False when it was already queued."""
        future: asyncio.Future[bool] = self.loop.create_future()
        self._waiting.append((event_row(account_id=account_id, org_id=org_id, channel=channel, body=body), future))
        if self._flusher is None:
            self._flusher = self.loop.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self.max_rows], self._waiting[self.max_rows :]
                try:
                    stored = await self.loop.run_in_executor(None, self._commit, [row for row, _ in batch])
                except BaseException as exc:
                    log.error("webhook batch of %s events not stored: %s: %s", len(batch), type(exc).__name__, exc)
                    failure = StoreFailed(f"{type(exc).__name__}: {exc}")
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(failure)
                    if not isinstance(exc, Exception):
                        raise  # cancelled (server shutting down): the requests above were failed, not left hanging
                    continue
                claimed: set[tuple[int, str]] = set()
                for row, future in batch:
                    key = (row["channel_account_id"], row["body_sha256"])
                    new = key in stored and key not in claimed  # the same body twice in a batch: the first is new
                    claimed.add(key)
                    if not future.done():  # a request cancelled meanwhile: its event is stored all the same
                        future.set_result(new)
        finally:
            self._flusher = None

    def _commit(self, rows: list[dict[str, Any]]) -> set[tuple[int, str]]:
        # In key order: batches of two server processes holding the same bodies (a platform retrying at once)
        # then wait for each other's rows in one order instead of deadlocking on the unique index.
        rows = sorted(rows, key=lambda row: (row["channel_account_id"], row["body_sha256"]))
        with self.engine.begin() as connection:
            return insert_events(connection, rows)


def claim(session: Session, *, batch: int, now: dt.datetime) -> list[int]:
    """Lease up to `batch` waiting events (new, retrying, or abandoned by a crashed worker)."""
    due = (
        select(InboundEvent.id)
        .where(InboundEvent.status.in_((EventStatus.pending, EventStatus.processing)))
        .where(InboundEvent.available_at <= now)
        .order_by(InboundEvent.available_at, InboundEvent.id)
        .limit(batch)
    )
    with atomic(session):
        if session.get_bind().dialect.name == "postgresql":
            ids = list(session.scalars(due.with_for_update(skip_locked=True)))
        else:
            ids = list(session.scalars(due))  # SQLite: one writer at a time; the conditional UPDATE decides
        if not ids:
            return []
        claimed = session.execute(
            update(InboundEvent)
            .where(InboundEvent.id.in_(ids), InboundEvent.available_at <= now)
            .where(InboundEvent.status.in_((EventStatus.pending, EventStatus.processing)))
            .values(status=EventStatus.processing, available_at=now + LEASE, attempts=InboundEvent.attempts + 1)
            .returning(InboundEvent.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(claimed.scalars())


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Claimed:
    id: int
    account_id: int
    channel: str
    body: bytes


def claimed(session: Session, ids: list[int]) -> list[Claimed]:
    rows = session.execute(
        select(InboundEvent.id, InboundEvent.channel_account_id, InboundEvent.channel, InboundEvent.body)
        .where(InboundEvent.id.in_(ids))
        .order_by(InboundEvent.id)
    )
    events = [Claimed(row.id, row.channel_account_id, Channel(row.channel).value, bytes(row.body)) for row in rows]
    session.rollback()  # end the read: intake runs its own transactions
    return events


def finish(session: Session, ids: list[int]) -> None:
    with atomic(session):
        session.execute(
            update(InboundEvent)
            .where(InboundEvent.id.in_(ids), InboundEvent.status == EventStatus.processing)
            .values(status=EventStatus.done, processed_at=utcnow(), last_error=None)
            .execution_options(synchronize_session=False)
        )


def retry_later(session: Session, event_id: int, exc: Exception) -> bool:
    """Put the event back with backoff, or fail it for good after MAX_ATTEMPTS; True when it is failed now."""
    session.rollback()
    log.warning("inbound event %s could not be taken in: %s", event_id, exc)
    with atomic(session):
        event = session.get(InboundEvent, event_id)
        if event is None:
            return False
        final = event.attempts >= MAX_ATTEMPTS
        event.status = EventStatus.failed if final else EventStatus.pending
        event.available_at = utcnow() + _backoff(event.attempts)
        event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        return final


def purge_taken_in(session: Session, *, before: dt.datetime, org_id: int, limit: int, dry_run: bool = False) -> int:
    """Delete (or with `dry_run` count) up to `limit` of the organisation's events taken in (`done`) before
    `before`, in the caller's transaction. Pending, processing and failed events are never removed, however old:
    their raw body is all there is of those messages until they are taken in."""
    query = select(InboundEvent.id).where(
        InboundEvent.org_id == org_id,
        InboundEvent.status == EventStatus.done,
        InboundEvent.processed_at < before,
    )
    if dry_run:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ids = list(session.scalars(query.order_by(InboundEvent.id).limit(limit)))
    if ids:
        session.execute(delete(InboundEvent).where(InboundEvent.id.in_(ids)))
    return len(ids)
