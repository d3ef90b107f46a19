"""Delivering the outbox: claim due items, deliver each through its transport, retry with backoff, surface failures.

The worker process (sotong/worker.py) runs `run_once` in its loop and delivery threads; this module owns the
protocol.

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
   a dropped database connection, a lease that ran out during a slow send). How it is closed depends on the
   transport (`Transport.idempotent`):

   - A transport whose repeat cannot show twice gets the same ``idempotency_key`` on every attempt and is
     simply called again: the platform (Mastodon's Idempotency-Key) or the connector (X and Facebook comments
     read back what an earlier attempt posted) drops the repeat; in-app notifications commit with the record.
   - Every other one (SMS, Kakao's Event API, TalkTalk, Messenger, e-mail) is never re-sent by itself once a
     send may have begun: ``send_started_at`` is committed before the platform is called, and a worker that
     reclaims an item with it set asks the transport to settle it (`Transport.settle`: the platform is asked
     what it has) and records ``sent`` or sends it, or, when the platform cannot tell, records ``unknown``:
     shown on the case for a person to check and settle (outbox/actions.py). Likewise a request that left
     without an answer (a read timeout) is ``unknown``, not failed and not retried. A transport that can ask its
     platform (`Transport.settles`: SENS) is asked again about its ``unknown`` items every ten minutes for a day
     (`settle_unknown`): the platform may have been unreachable when they were first looked at.

   Our own bookkeeping only changes a row this worker still holds (``claimed_by`` and ``sending``), so a
   worker whose lease expired never overwrites what the worker that took over recorded.

A delivery that fails for good or whose outcome is unknown is reported to the domains that registered a
problem hook (cases tells the case's officer and the centre: cases/hooks.py), in the transaction that records it.

In-app notifications are written in the same transaction that records ``sent``: they exist exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from sotong.actors import WORKER
from sotong.audit.service import record
from sotong.db import atomic, utcnow
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.outbox.transports import TRANSPORTS, Delivery, Settlement, Transport, TransportError, get_transport
from sotong.settings import get_settings

log = logging.getLogger(__name__)

DEFAULT_BATCH = 20
MAX_ERROR_LENGTH = 2000

SessionFactory = Callable[[], Session]
# Called inside the transaction that records an item sent, with the moment it was; returns False when it cannot
# act now without waiting (a row another transaction holds) and is to be called again on a later look. Domains
# register theirs (cases records the first response: cases/hooks.py), so the outbox imports none of them.
SentHook = Callable[[Session, Delivery, dt.datetime], bool]
_sent_hooks: list[SentHook] = []


# Called inside the transaction that records an item failed for good or of unknown outcome, with its new status
# and error code: cases tells the people who must act (cases/hooks.py).
ProblemHook = Callable[[Session, Delivery, OutboxStatus, str], None]
_problem_hooks: list[ProblemHook] = []


def on_sent(hook: SentHook) -> None:
    """Call `hook` for every item recorded sent from now on (registering the same hook twice keeps one)."""
    if hook not in _sent_hooks:
        _sent_hooks.append(hook)


def on_problem(hook: ProblemHook) -> None:
    """Call `hook` for every item recorded failed or of unknown outcome from now on (once per hook)."""
    if hook not in _problem_hooks:
        _problem_hooks.append(hook)


def error_code(exc: BaseException) -> str:
    """The kind of failure, as a catalogue key under "delivery.error." (staff read that, not the English)."""
    if isinstance(exc, TransportError):
        if exc.code:
            return exc.code
        message = exc.message
        if "account config lacks" in message:
            return "config"
        if "network error" in message or "unreachable" in message:
            return "network"
        if exc.retry_after is not None or "HTTP 429" in message:
            return "rate_limited"
        if "mobile number" in message or "no phone number" in message or " to send to" in message:
            return "recipient"
        return "refused" if exc.permanent else "temporary"
    return "internal"


class _LeaseLost(Exception):
    """Another worker reclaimed the item after our lease ran out; what it records stands."""


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
                OutboxItem.send_started_at,
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
    try:
        transport = get_transport(delivery.transport)
    except TransportError as exc:
        return _record_error(session, delivery, worker_id=worker_id, exc=exc, now=clock())
    safe = transport.resend_is_safe(delivery)
    try:
        if delivery.started and not safe:
            # An earlier attempt may have reached the platform: never send it again blindly.
            settled = _settle(session, transport, delivery, worker_id=worker_id, now=clock())
            if settled is not None:
                return settled
        if delivery.attempt > get_settings().outbox_max_attempts:
            # Only a reclaimed item gets here: the workers holding it died every time. Stop feeding it to them.
            error = f"abandoned: {delivery.attempt - 1} workers claimed it and never finished (crashed or killed)"
            abandoned = TransportError(error, permanent=True, code="abandoned")
            return _record_error(session, delivery, worker_id=worker_id, exc=abandoned, now=clock())
        if not safe:
            _mark_started(session, delivery, worker_id=worker_id, now=clock())
    except _LeaseLost:
        log.warning("outbox %s: lease lost before sending; the new holder delivers it", delivery.item_id)
        return OutboxStatus.sending
    try:
        external_ref = transport.send(delivery, session=session)
    except TransportError as exc:
        session.rollback()
        return _record_error(session, delivery, worker_id=worker_id, exc=exc, now=clock())
    except Exception as exc:
        # A bug or an unforeseen network error. A transport that cannot be repeated safely may have sent it:
        # its outcome is unknown. Any other is retried like a temporary failure, never lost.
        session.rollback()
        log.exception("outbox %s: %s transport raised", delivery.item_id, delivery.transport)
        failure = TransportError(
            f"{type(exc).__name__}: {exc}", unknown=not safe, code="internal" if safe else "outcome_unknown"
        )
        return _record_error(session, delivery, worker_id=worker_id, exc=failure, now=clock())
    try:
        _record_sent(session, delivery, worker_id=worker_id, external_ref=external_ref, now=clock())
    except _LeaseLost:
        log.warning("outbox %s: lease lost before recording sent; the new holder's outcome stands", delivery.item_id)
        return OutboxStatus.sending
    return OutboxStatus.sent


def _settle(
    session: Session, transport: Transport, delivery: Delivery, *, worker_id: str, now: dt.datetime
) -> OutboxStatus | None:
    """Settle a reclaimed item whose send may have happened; None when the platform says it is safe to send."""
    try:
        settlement: Settlement = transport.settle(delivery, session=session)
    except Exception as exc:  # asking failed: the outcome stays unknown, for a person
        session.rollback()
        log.warning("outbox %s: could not ask %s about an earlier send: %s", delivery.item_id, delivery.transport, exc)
        settlement = Settlement(sent=None)
    session.rollback()
    if settlement.sent is True:
        _record_sent(session, delivery, worker_id=worker_id, external_ref=settlement.external_ref, now=now)
        log.info(
            "outbox %s: the platform had it already (%s): recorded sent", delivery.item_id, settlement.external_ref
        )
        return OutboxStatus.sent
    if settlement.sent is False:
        return None
    error = TransportError(
        f"{delivery.transport}: outcome unknown: a worker stopped after the send began (attempt "
        f"{delivery.attempt - 1}) and the platform cannot be asked whether it arrived",
        unknown=True,
        code="interrupted",
    )
    return _record_error(session, delivery, worker_id=worker_id, exc=error, now=now)


def _mark_started(session: Session, delivery: Delivery, *, worker_id: str, now: dt.datetime) -> None:
    """Commit "sending started" before a platform that cannot drop a repeat is called."""
    with atomic(session):
        result = session.execute(
            update(OutboxItem)
            .where(_held_by(worker_id, delivery.item_id))
            .values(send_started_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _LeaseLost


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
                error_code=None,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _LeaseLost  # rolls back what the transport wrote through the session too
        for hook in _sent_hooks:
            if not hook(session, delivery, now):
                with _late_lock:
                    _late.append((hook, delivery, now))


# Hooks that could not act when their item was recorded sent (a row held by another transaction), tried again on
# a later look with the time of the delivery. Kept in memory: a worker killed before then leaves that work
# undone (for the first response: a gap in the statistics, not a lost or repeated message).
_late: list[tuple[SentHook, Delivery, dt.datetime]] = []
_late_lock = threading.Lock()


def _run_late_hooks(session: Session) -> None:
    with _late_lock:
        waiting = list(_late)
        _late.clear()
    still: list[tuple[SentHook, Delivery, dt.datetime]] = []
    for hook, delivery, at in waiting:
        try:
            done = hook(session, delivery, at)
        except Exception:
            log.exception("outbox %s: a delivery hook failed", delivery.item_id)
            done = False
        if not done:
            still.append((hook, delivery, at))
    if still:
        with _late_lock:
            _late.extend(still)


def _record_error(
    session: Session, delivery: Delivery, *, worker_id: str, exc: TransportError, now: dt.datetime
) -> OutboxStatus:
    settings = get_settings()
    error = exc.message[:MAX_ERROR_LENGTH]
    code = error_code(exc)
    if exc.unknown:
        status = OutboxStatus.unknown
    elif exc.permanent or delivery.attempt >= settings.outbox_max_attempts:
        status = OutboxStatus.failed
    else:
        status = OutboxStatus.pending
    values: dict[str, Any] = {"last_error": error, "error_code": code, "lease_expires_at": None}
    if status is OutboxStatus.pending:
        delay = backoff_seconds(delivery.attempt, retry_after=exc.retry_after)
        # Nothing reached the platform (or it drops repeats): the next attempt starts afresh.
        values.update(claimed_by=None, next_attempt_at=now + dt.timedelta(seconds=delay), send_started_at=None)
    values["status"] = status
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
            if status is not OutboxStatus.pending:
                record(
                    session,
                    actor=WORKER,
                    action=f"outbox.{status.value}",
                    org_id=delivery.org_id,
                    case_id=delivery.case_id,
                    details={
                        "item_id": delivery.item_id,
                        "kind": delivery.kind,
                        "transport": delivery.transport,
                        "attempts": delivery.attempt,
                        "permanent": exc.permanent,
                        "code": code,
                        "error": error,
                    },
                )
                for hook in _problem_hooks:
                    hook(session, delivery, status, code)
    except _LeaseLost:
        log.warning("outbox %s: lease lost before recording the error %r", delivery.item_id, error)
        return OutboxStatus.sending
    if status is not OutboxStatus.pending:
        log.warning(
            "outbox %s: %s via %s %s: %s", delivery.item_id, delivery.kind, delivery.transport, status.value, error
        )
        return status
    # Each retry is news: a platform refusing for twenty minutes must show in the log long before the final failure.
    log.warning(
        "outbox %s: %s via %s attempt %d of %d failed, retrying at %s: %s",
        delivery.item_id,
        delivery.kind,
        delivery.transport,
        delivery.attempt,
        settings.outbox_max_attempts,
        values["next_attempt_at"].isoformat(timespec="seconds"),
        error,
        extra={"item": delivery.item_id, "channel": delivery.transport, "attempt": delivery.attempt},
    )
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
        if _late:
            _run_late_hooks(session)
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


# Asking again about deliveries of unknown outcome (`settle_unknown`): how often, and for how long after the send
# began. Past that a person settles what is left (the item stays on the case as it was).
SETTLE_AGAIN = dt.timedelta(minutes=10)
SETTLE_FOR = dt.timedelta(days=1)
SETTLE_BATCH = 20


def settle_unknown(session_factory: SessionFactory, *, now: dt.datetime | None = None) -> int:
    """Ask again about deliveries of unknown outcome whose transport can ask its platform (`Transport.settles`)
    and settle them: recorded sent with the platform's id, or put back to be sent once when the platform never
    got them. Returns how many were settled; the others are asked again after SETTLE_AGAIN, until SETTLE_FOR
    after their send began. A person may settle an item meanwhile: what they decided stands."""
    clock = _clock(now)
    names = [name for name, transport in TRANSPORTS.items() if transport.settles]
    if not names:
        return 0
    settled = 0
    with session_factory() as session:
        with atomic(session):
            at = clock()
            query = (
                select(OutboxItem)
                .where(
                    OutboxItem.status == OutboxStatus.unknown,
                    OutboxItem.transport.in_(names),
                    OutboxItem.send_started_at.is_not(None),
                    OutboxItem.send_started_at > at - SETTLE_FOR,
                    OutboxItem.next_attempt_at <= at,
                )
                .order_by(OutboxItem.next_attempt_at)
                .limit(SETTLE_BATCH)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            items = list(session.scalars(query))
            # Taken for this look (another worker skips them until SETTLE_AGAIN), then asked outside the
            # transaction: a platform's answer may take seconds.
            for item in items:
                item.next_attempt_at = at + SETTLE_AGAIN
            deliveries = [Delivery.of(item) for item in items]
        for delivery in deliveries:
            transport = TRANSPORTS[delivery.transport]
            try:
                settlement = transport.settle(delivery, session=session)
            except Exception as exc:  # asking failed: asked again later
                log.warning("outbox %s: could not ask %s again: %s", delivery.item_id, delivery.transport, exc)
                settlement = Settlement(sent=None)
            session.rollback()
            if settlement.sent is not None and _record_settled(session, delivery, settlement, now=clock()):
                settled += 1
    return settled


def _record_settled(session: Session, delivery: Delivery, settlement: Settlement, *, now: dt.datetime) -> bool:
    """Record what the platform said about an unknown item, unless a person settled it meanwhile."""
    with atomic(session):
        if settlement.sent:
            values: dict[str, Any] = {
                "status": OutboxStatus.sent,
                "sent_at": now,
                "external_ref": settlement.external_ref[:200] if settlement.external_ref else None,
            }
        else:
            # The platform never got it: safe to send, once, as any pending item.
            values = {"status": OutboxStatus.pending, "next_attempt_at": now, "send_started_at": None, "attempts": 0}
        result = session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == delivery.item_id, OutboxItem.status == OutboxStatus.unknown)
            .values(claimed_by=None, lease_expires_at=None, last_error=None, error_code=None, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        record(
            session,
            actor=WORKER,
            action="outbox.settled",
            org_id=delivery.org_id,
            case_id=delivery.case_id,
            details={
                "item_id": delivery.item_id,
                "kind": delivery.kind,
                "transport": delivery.transport,
                "sent": settlement.sent,
                "external_ref": settlement.external_ref,
            },
        )
        if settlement.sent:
            for hook in _sent_hooks:
                if not hook(session, delivery, now):
                    with _late_lock:
                        _late.append((hook, delivery, now))
    log.info("outbox %s: outcome settled by asking %s: sent=%s", delivery.item_id, delivery.transport, settlement.sent)
    return True


def _clock(now: dt.datetime | None) -> Callable[[], dt.datetime]:
    if now is not None:
        return lambda: now
    return utcnow
