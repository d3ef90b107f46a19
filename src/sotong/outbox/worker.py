"""The outbox worker: claim due items, deliver each through its transport, retry with backoff, surface failures.

What "never sent twice" means here, precisely:

1. Two workers never deliver the same item at the same time. An item is claimed before it is delivered:
   status ``sending``, ``claimed_by`` this worker, ``lease_expires_at`` set, in a transaction committed
   before the transport is called. On PostgreSQL the claim reads with ``FOR UPDATE SKIP LOCKED``, so
   concurrent workers take disjoint batches; on SQLite (one worker, writers serialised) the claiming
   UPDATE repeats the due condition, so a row already taken is not taken again.
2. A crash after the claim loses nothing. The row stays ``sending`` until its lease expires; then any
   worker reclaims it and delivers it (the attempt counts; an item abandoned more than
   ``outbox_max_attempts`` times fails and is shown to staff instead of crashing workers forever).
3. The one window left is between the platform accepting the message and us recording ``sent`` (a crash,
   a dropped database connection, a lease that ran out during a slow send). It is closed at the transport:
   the same ``idempotency_key`` is handed over on every attempt, and the platform (Mastodon's
   Idempotency-Key) or the connector (looking for what it already posted under that key) drops the repeat.
   Our own bookkeeping only changes a row this worker still holds (``claimed_by`` and ``sending``), so a
   worker whose lease expired never overwrites what the worker that took over recorded.

In-app notifications are written in the same transaction that records ``sent``: they exist exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from sotong.actors import WORKER
from sotong.audit.service import record
from sotong.cases import escalation
from sotong.db import atomic, utcnow
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.outbox.transports import Delivery, TransportError, get_transport
from sotong.settings import get_settings

log = logging.getLogger(__name__)

DEFAULT_BATCH = 20
DELIVERY_SLICE_SECONDS = 5.0
# How soon the delivery thread looks again when the outbox had nothing more: a receipt queued meanwhile waits
# at most this long (one indexed SELECT per look while idle).
DELIVERY_IDLE_SECONDS = 0.25
DELIVERY_THREADS = 4  # on PostgreSQL, each claiming its own small batch (FOR UPDATE SKIP LOCKED)
DELIVERY_THREAD_BATCH = 5
# Delivering these tells the citizen we heard them: the case's first response is recorded then.
FIRST_RESPONSE_KINDS = frozenset({"receipt", "answer"})
MAX_ERROR_LENGTH = 2000

SessionFactory = Callable[[], Session]


class _LeaseLost(Exception):
    """Another worker reclaimed the item after our lease ran out; what it records stands."""


def default_worker_id() -> str:
    """A worker id unique on this machine: host name and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _due(now: dt.datetime) -> ColumnElement[bool]:
    return or_(
        and_(OutboxItem.status == OutboxStatus.pending, OutboxItem.next_attempt_at <= now),
        and_(OutboxItem.status == OutboxStatus.sending, OutboxItem.lease_expires_at < now),
    )


def _held_by(worker_id: str, item_id: int) -> ColumnElement[bool]:
    return and_(
        OutboxItem.id == item_id,
        OutboxItem.status == OutboxStatus.sending,
        OutboxItem.claimed_by == worker_id,
    )


def claim_query(now: dt.datetime, *, batch: int, postgresql: bool) -> Any:
    """The SELECT that finds due items (exposed so the benchmark can EXPLAIN it)."""
    query = select(OutboxItem.id).where(_due(now)).order_by(OutboxItem.next_attempt_at).limit(batch)
    return query.with_for_update(skip_locked=True) if postgresql else query


def claim(session: Session, *, worker_id: str, now: dt.datetime, batch: int = DEFAULT_BATCH) -> list[Delivery]:
    """Claim up to `batch` due items for `worker_id` and commit, so no other worker takes them."""
    lease = dt.timedelta(seconds=get_settings().outbox_lease_seconds)
    postgresql = session.get_bind().dialect.name == "postgresql"
    with atomic(session):
        ids = list(session.scalars(claim_query(now, batch=batch, postgresql=postgresql)))
        if not ids:
            return []
        rows = session.execute(
            update(OutboxItem)
            # The due condition again: on SQLite nothing is locked between the SELECT and this UPDATE.
            .where(OutboxItem.id.in_(ids), _due(now))
            .values(
                status=OutboxStatus.sending,
                claimed_by=worker_id,
                lease_expires_at=now + lease,
                attempts=OutboxItem.attempts + 1,
            )
            .returning(
                OutboxItem.id,
                OutboxItem.org_id,
                OutboxItem.case_id,
                OutboxItem.kind,
                OutboxItem.transport,
                OutboxItem.recipient,
                OutboxItem.payload,
                OutboxItem.idempotency_key,
                OutboxItem.attempts,
            )
            .execution_options(synchronize_session=False)
        ).all()
    order = {item_id: position for position, item_id in enumerate(ids)}
    deliveries = [Delivery.of(row) for row in rows]
    return sorted(deliveries, key=lambda d: order[d.item_id])


def backoff_seconds(attempt: int, *, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Delay before the next attempt: exponential from the base, capped, jittered; a platform's retry_after wins."""
    if retry_after is not None:
        return max(float(retry_after), 0.0)
    settings = get_settings()
    ceiling = min(settings.outbox_backoff_max_seconds, settings.outbox_backoff_base_seconds * 2 ** min(attempt - 1, 32))
    # Jitter spreads the retries of a burst that failed together (a platform outage) over time.
    return (rng or random).uniform(ceiling / 2, ceiling)


def deliver(session: Session, delivery: Delivery, *, worker_id: str, now: dt.datetime | None = None) -> OutboxStatus:
    """Deliver one claimed item and record the outcome; returns the item's new status (`sending` if lost)."""
    clock = _clock(now)
    if delivery.attempt > get_settings().outbox_max_attempts:
        # Only a reclaimed item gets here: the workers holding it died every time. Stop feeding it to them.
        error = f"abandoned: {delivery.attempt - 1} workers claimed it and never finished (crashed or killed)"
        return _record_error(session, delivery, worker_id=worker_id, error=error, permanent=True, now=clock())
    try:
        transport = get_transport(delivery.transport)
        external_ref = transport.send(delivery, session=session)
    except TransportError as exc:
        session.rollback()
        return _record_error(
            session,
            delivery,
            worker_id=worker_id,
            error=exc.message,
            permanent=exc.permanent,
            retry_after=exc.retry_after,
            now=clock(),
        )
    except Exception as exc:
        # A bug or an unforeseen network error: retried like a temporary failure, never lost.
        session.rollback()
        log.exception("outbox %s: %s transport raised", delivery.item_id, delivery.transport)
        error = f"{type(exc).__name__}: {exc}"
        return _record_error(session, delivery, worker_id=worker_id, error=error, permanent=False, now=clock())
    try:
        _record_sent(session, delivery, worker_id=worker_id, external_ref=external_ref, now=clock())
    except _LeaseLost:
        log.warning("outbox %s: lease lost before recording sent; the new holder's outcome stands", delivery.item_id)
        return OutboxStatus.sending
    return OutboxStatus.sent


def _record_sent(
    session: Session, delivery: Delivery, *, worker_id: str, external_ref: str | None, now: dt.datetime
) -> None:
    with atomic(session):
        result = session.execute(
            update(OutboxItem)
            .where(_held_by(worker_id, delivery.item_id))
            .values(
                status=OutboxStatus.sent,
                sent_at=now,
                external_ref=external_ref[:200] if external_ref else None,
                lease_expires_at=None,
                last_error=None,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _LeaseLost  # rolls back what the transport wrote through the session too
        if delivery.kind in FIRST_RESPONSE_KINDS and delivery.case_id is not None:
            from sotong.cases.actions import mark_first_response  # cases.actions imports the outbox

            # Not waiting for the case row: triage holds its batch of cases for the whole model pass, and every
            # delivery behind this one would wait with it. A case held now gets its first response recorded
            # by a later look (`_record_late_first_responses`), with the time the platform took the receipt.
            if not mark_first_response(session, case_id=delivery.case_id, at=now, wait=False):
                with _late_lock:
                    _late_first_responses.append((delivery.case_id, now))


# First responses delivered while their case was held by another transaction: (case id, when), recorded on a
# later look. Kept in memory: a worker killed before then leaves that case's first_responded_at empty (a gap in
# the statistics, not a lost or repeated message).
_late_first_responses: list[tuple[int, dt.datetime]] = []
_late_lock = threading.Lock()


def _record_late_first_responses(session: Session) -> None:
    from sotong.cases.actions import mark_first_response  # cases.actions imports the outbox

    with _late_lock:
        waiting = list(_late_first_responses)
        _late_first_responses.clear()
    still: list[tuple[int, dt.datetime]] = []
    for case_id, at in waiting:
        try:
            done = mark_first_response(session, case_id=case_id, at=at, wait=False)
        except Exception:
            log.exception("outbox: recording the first response of case %s failed", case_id)
            done = False
        if not done:
            still.append((case_id, at))
    if still:
        with _late_lock:
            _late_first_responses.extend(still)


def _record_error(
    session: Session,
    delivery: Delivery,
    *,
    worker_id: str,
    error: str,
    permanent: bool,
    now: dt.datetime,
    retry_after: float | None = None,
) -> OutboxStatus:
    settings = get_settings()
    error = error[:MAX_ERROR_LENGTH]
    give_up = permanent or delivery.attempt >= settings.outbox_max_attempts
    values: dict[str, Any] = {"last_error": error, "lease_expires_at": None}
    if give_up:
        values["status"] = OutboxStatus.failed
    else:
        delay = backoff_seconds(delivery.attempt, retry_after=retry_after)
        values.update(status=OutboxStatus.pending, claimed_by=None, next_attempt_at=now + dt.timedelta(seconds=delay))
    try:
        with atomic(session):
            result = session.execute(
                update(OutboxItem)
                .where(_held_by(worker_id, delivery.item_id))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise _LeaseLost
            if give_up:
                record(
                    session,
                    actor=WORKER,
                    action="outbox.failed",
                    org_id=delivery.org_id,
                    case_id=delivery.case_id,
                    details={
                        "item_id": delivery.item_id,
                        "kind": delivery.kind,
                        "transport": delivery.transport,
                        "attempts": delivery.attempt,
                        "permanent": permanent,
                        "error": error,
                    },
                )
    except _LeaseLost:
        log.warning("outbox %s: lease lost before recording the error %r", delivery.item_id, error)
        return OutboxStatus.sending
    if give_up:
        log.warning(
            "outbox %s: %s via %s failed for good: %s", delivery.item_id, delivery.kind, delivery.transport, error
        )
        return OutboxStatus.failed
    return OutboxStatus.pending


def renew(session: Session, *, worker_id: str, item_ids: list[int], now: dt.datetime) -> set[int]:
    """Extend this worker's lease on `item_ids`; returns the ids it still holds."""
    if not item_ids:
        return set()
    lease = dt.timedelta(seconds=get_settings().outbox_lease_seconds)
    with atomic(session):
        rows = session.execute(
            update(OutboxItem)
            .where(
                OutboxItem.id.in_(item_ids),
                OutboxItem.status == OutboxStatus.sending,
                OutboxItem.claimed_by == worker_id,
            )
            .values(lease_expires_at=now + lease)
            .returning(OutboxItem.id)
            .execution_options(synchronize_session=False)
        )
        return set(rows.scalars())


def release(session: Session, *, worker_id: str, item_ids: list[int]) -> int:
    """Hand back claimed items this worker will not deliver (shutting down); the attempt does not count."""
    if not item_ids:
        return 0
    with atomic(session):
        result = session.execute(
            update(OutboxItem)
            .where(
                OutboxItem.id.in_(item_ids),
                OutboxItem.status == OutboxStatus.sending,
                OutboxItem.claimed_by == worker_id,
            )
            .values(
                status=OutboxStatus.pending,
                claimed_by=None,
                lease_expires_at=None,
                attempts=OutboxItem.attempts - 1,
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def run_once(
    session_factory: SessionFactory,
    *,
    worker_id: str,
    now: dt.datetime | None = None,
    batch: int = DEFAULT_BATCH,
    stop: threading.Event | None = None,
) -> int:
    """Claim one batch and deliver it; returns how many items were processed (sent, retried or failed).

    `now` pins the clock (tests); `stop` ends the batch after the current item, handing back the rest.
    """
    clock = _clock(now)
    lease = dt.timedelta(seconds=get_settings().outbox_lease_seconds)
    processed = 0
    with session_factory() as session:
        if _late_first_responses:
            _record_late_first_responses(session)
        claimed_at = clock()
        deliveries = claim(session, worker_id=worker_id, now=claimed_at, batch=batch)
        held = {d.item_id for d in deliveries}
        for position, delivery in enumerate(deliveries):
            if stop is not None and stop.is_set():
                release(session, worker_id=worker_id, item_ids=[d.item_id for d in deliveries[position:]])
                break
            if clock() - claimed_at > lease / 2:
                # Slow sends: keep the rest of the batch ours rather than let another worker reclaim it.
                claimed_at = clock()
                rest = [d.item_id for d in deliveries[position:] if d.item_id in held]
                held = renew(session, worker_id=worker_id, item_ids=rest, now=claimed_at)
            if delivery.item_id not in held:
                continue
            deliver(session, delivery, worker_id=worker_id, now=now)
            processed += 1
    return processed


def run_forever(
    session_factory: SessionFactory,
    *,
    worker_id: str,
    stop: threading.Event | None = None,
    batch: int = DEFAULT_BATCH,
) -> None:
    """Deliver the outbox, sweep escalations and triage new cases until `stop` is set or SIGTERM/SIGINT arrives.

    A signal lets the current item finish and hands the rest of the batch back; a second one exits at once.
    """
    stop = stop or threading.Event()
    poll = get_settings().worker_poll_seconds
    log.info("worker %s started", worker_id)
    threading.Thread(target=warm_models, name="sotong-warm-models", daemon=True).start()
    # On PostgreSQL deliveries run in a thread of their own, so a receipt never waits behind triage, a
    # deadline sweep or a slow platform poll. SQLite (one embedded worker) keeps one loop: a second writing
    # connection there only trades waiting for "database is locked".
    with session_factory() as probe:
        separate_delivery = probe.get_bind().dialect.name == "postgresql"
    deliverers: list[threading.Thread] = []
    if separate_delivery:
        # Several small claims side by side: a delivery is mostly waiting (the platform's answer, the commit's
        # disk flush), so one thread delivering 20 in a row made the 20th wait for the other 19.
        deliverers = [
            threading.Thread(
                target=_deliver_forever,
                args=(session_factory,),
                kwargs={"worker_id": worker_id, "batch": min(batch, DELIVERY_THREAD_BATCH), "stop": stop},
                name=f"sotong-delivery-{n}",
            )
            for n in range(DELIVERY_THREADS)
        ]
        for thread in deliverers:
            thread.start()
        # Triage and the model warm-up are CPU-bound in this process: a shorter switch interval stops each of the
        # delivery threads' many small waits (every SQL statement) from costing 5 ms to get the GIL back.
        sys.setswitchinterval(0.001)
    try:
        with _stop_on_signals(stop):
            while not stop.is_set():
                busy = 0
                try:
                    busy = run_pass(
                        session_factory, worker_id=worker_id, batch=batch, stop=stop, deliver=not separate_delivery
                    ).total
                except Exception:
                    # The database restarting must not end the worker: log, wait, try again.
                    log.exception("worker %s: iteration failed; retrying in %.1f s", worker_id, poll)
                    busy = 0
                if not busy:
                    stop.wait(poll)
    finally:
        stop.set()
        for thread in deliverers:
            thread.join()
    log.info("worker %s stopped", worker_id)


def _deliver_forever(session_factory: SessionFactory, *, worker_id: str, batch: int, stop: threading.Event) -> None:
    """Deliver due items as they come until `stop`: look again at once after a full batch, else shortly."""
    while not stop.is_set():
        try:
            sent = run_once(session_factory, worker_id=worker_id, batch=batch, stop=stop)
        except Exception:
            log.exception("worker %s: delivery failed; retrying in %.1f s", worker_id, DELIVERY_IDLE_SECONDS)
            sent = 0
        if sent < batch:
            stop.wait(DELIVERY_IDLE_SECONDS)


def warm_models() -> None:
    """Load the Korean morpheme analyser and the seed triage model now, not on the first message of the day.

    Both take seconds to load (kiwipiepy's models, training the seed model) and are needed by the first intake
    (its search document) and the first triage; a worker or poller calls this when it starts.
    """
    from sotong.search import analysis  # imported here: kiwipiepy and scikit-learn are heavy imports
    from sotong.triage.pipeline import default_model

    started = time.perf_counter()
    try:
        analysis.warm()
        default_model()
    except Exception:
        log.exception("worker: warming the language models failed; they load on first use instead")
        return
    log.info("worker: language models loaded in %.1f s", time.perf_counter() - started)


@dataclass(frozen=True)
class PassResult:
    delivered: int
    escalated: int
    triaged: int
    polled: int = 0

    @property
    def total(self) -> int:
        return self.delivered + self.escalated + self.triaged + self.polled


def run_pass(
    session_factory: SessionFactory,
    *,
    worker_id: str,
    batch: int = DEFAULT_BATCH,
    stop: threading.Event | None = None,
    deliver: bool = True,
) -> PassResult:
    """One pass of everything a worker does: take in queued webhooks, deliver a batch, sweep deadlines, triage
    new cases, poll channels. Queued webhooks come first so their receipts leave in the same pass.

    `deliver=False` leaves the outbox to a delivery thread of its own (`run_forever` on PostgreSQL).
    """
    if stop is None or not stop.is_set():
        _take_in_events(session_factory)
    # Receipts are promised within seconds: keep delivering while full batches come back (a burst of
    # messages), for up to DELIVERY_SLICE_SECONDS, before the slower work of the pass.
    delivered = 0
    until = time.monotonic() + DELIVERY_SLICE_SECONDS
    while deliver:
        sent = run_once(session_factory, worker_id=worker_id, batch=batch, stop=stop)
        delivered += sent
        if sent < batch or time.monotonic() >= until or (stop is not None and stop.is_set()):
            break
    escalated = triaged = 0
    if stop is None or not stop.is_set():
        with session_factory() as session:
            escalated = escalation.sweep(session)
    if stop is None or not stop.is_set():
        triaged = _triage(session_factory)
    polled = _poll_channels(session_factory) if stop is None or not stop.is_set() else 0
    return PassResult(delivered=delivered, escalated=escalated, triaged=triaged, polled=polled)


def _take_in_events(session_factory: SessionFactory) -> int:
    """Turn queued webhook bodies into messages and cases (channels/events.py); failures stay queued."""
    from sotong.channels.events import process_events  # the channels import the case actions and the outbox

    try:
        return process_events(session_factory)
    except Exception:
        log.exception("worker: taking in queued webhooks failed; deliveries carry on")
        return 0


def _triage(session_factory: SessionFactory) -> int:
    """Triage new cases; a broken model must not stop deliveries, so its failure is only logged."""
    from sotong.triage.actions import triage_pending  # triage imports the case actions, which import the outbox

    try:
        return triage_pending(session_factory)
    except Exception:
        log.exception("worker: triage failed; deliveries carry on")
        return 0


def _poll_channels(session_factory: SessionFactory) -> int:
    """Poll the channel accounts that are due; a platform or bug there must not stop deliveries."""
    from sotong.channels.polling import poll_due  # the channels import the case actions, which import the outbox

    try:
        return poll_due(session_factory)
    except Exception:
        log.exception("worker: channel polling failed; deliveries carry on")
        return 0


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be installed from the main thread; the caller owns `stop`
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise SystemExit(128 + signum)
        log.info("worker: %s received, finishing the current item", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _clock(now: dt.datetime | None) -> Callable[[], dt.datetime]:
    if now is not None:
        return lambda: now
    return utcnow
