"""The worker process (`sotong worker`): one loop that runs each domain's scheduled passes, and delivers.

Who does what, in the order of one pass:

1. queued webhooks become messages and cases   `channels.webhooks.process_events`,
   and silent chat conversations become cases  `channels.intake.conversations.close_silent`
2. the outbox is delivered                      `outbox.delivery.run_once` (own threads on PostgreSQL)
3. deadlines escalate                           `cases.escalation.sweep`
4. new cases are triaged                        `triage.actions.triage_pending`
5. polled channels are polled                   `channels.polling.poll_due`
6. retention: the hour's purge, by one worker   `retention.actions.purge_due`

Each pass is owned by its domain and is safe to run in any number of workers side by side (rows are claimed
with ``FOR UPDATE SKIP LOCKED``, leases and idempotency keys); this module only composes them, keeps one
failing pass from stopping the others, and stops cleanly on SIGTERM.

While the installation is paused (`sotong pause`, and every copy restored by `sotong restore` until
`sotong resume`), passes 2, 5 and 6 are skipped: a copy must not re-send what the original sent, nor read the live
mailboxes, and nothing of it is purged before someone has looked. The loop writes a heartbeat
(`runtime.actions.beat`) at most every HEARTBEAT_SECONDS: /readyz fails when none is recent.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from sqlalchemy.orm import Session

from sotong import __version__
from sotong.cases import escalation
from sotong.channels import polling, webhooks
from sotong.channels.intake import conversations
from sotong.outbox.delivery import DEFAULT_BATCH, run_once, settle_unknown
from sotong.retention import actions as retention
from sotong.runtime import actions as runtime_actions
from sotong.runtime import service as runtime
from sotong.search import analysis
from sotong.settings import get_settings
from sotong.triage import actions as triage_actions
from sotong.triage import pipeline

log = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]

DELIVERY_SLICE_SECONDS = 5.0
# How soon the delivery thread looks again when the outbox had nothing more: a receipt queued meanwhile waits
# at most this long (one indexed SELECT per look while idle).
DELIVERY_IDLE_SECONDS = 0.25
DELIVERY_THREADS = 4  # on PostgreSQL, each claiming its own small batch (FOR UPDATE SKIP LOCKED)
DELIVERY_THREAD_BATCH = 5
WARM_UP_WAIT_SECONDS = 60.0
# A busy worker writes its heartbeat no more often than this (one small UPDATE); SOTONG_READY_WORKER_SECONDS
# (default 60) must stay well above it.
HEARTBEAT_SECONDS = 10.0


def default_worker_id() -> str:
    """A worker id unique on this machine: host name and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class PassResult:
    delivered: int
    escalated: int
    triaged: int
    polled: int = 0
    purged: int = 0

    @property
    def total(self) -> int:
        return self.delivered + self.escalated + self.triaged + self.polled + self.purged


def run_pass(
    session_factory: SessionFactory,
    *,
    worker_id: str,
    batch: int = DEFAULT_BATCH,
    stop: threading.Event | None = None,
    deliver: bool = True,
    delivery_slice: float = DELIVERY_SLICE_SECONDS,
) -> PassResult:
    """One pass of everything a worker does, in the order of the module's list. Queued webhooks come first so
    their receipts leave in the same pass.

    `deliver=False` leaves the outbox to delivery threads of their own (`run_forever` on PostgreSQL);
    `delivery_slice` is how many seconds a burst may hold up the rest of the pass.
    """

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    if not stopped():
        _guarded("taking in queued webhooks", _take_in_events, session_factory)
    if not stopped():
        _guarded("opening silent conversations", _close_conversations, session_factory)
    paused = _paused(session_factory)
    deliver = deliver and not paused
    # Receipts are promised within seconds: keep delivering while full batches come back (a burst of
    # messages), for up to DELIVERY_SLICE_SECONDS, before the slower work of the pass.
    delivered = 0
    until = time.monotonic() + delivery_slice
    while deliver:
        sent = run_once(session_factory, worker_id=worker_id, batch=batch, stop=stop)
        delivered += sent
        if sent < batch or time.monotonic() >= until or stopped():
            break
    if not paused and not stopped():
        # Asking platforms about sends of unknown outcome (SENS): a delivery matter, not the delivery threads'.
        _guarded("settling deliveries of unknown outcome", _settle_unknown, session_factory)
    escalated = 0 if stopped() else _guarded("the escalation sweep", _escalate, session_factory)
    triaged = 0 if stopped() else _guarded("triage", _triage, session_factory)
    polled = 0 if stopped() or paused else _guarded("channel polling", _poll_channels, session_factory)
    purged = 0 if stopped() or paused else _guarded("the retention purge", _purge, session_factory)
    return PassResult(delivered=delivered, escalated=escalated, triaged=triaged, polled=polled, purged=purged)


# The passes, looked up by name at each pass (tests replace one to hold it up or make it fail).
def _take_in_events(session_factory: SessionFactory) -> int:
    return webhooks.process_events(session_factory)


def _close_conversations(session_factory: SessionFactory) -> int:
    return conversations.close_silent(session_factory)


def _settle_unknown(session_factory: SessionFactory) -> int:
    return settle_unknown(session_factory)


def _escalate(session_factory: SessionFactory) -> int:
    with session_factory() as session:
        return escalation.sweep(session)


def _triage(session_factory: SessionFactory) -> int:
    return triage_actions.triage_pending(session_factory)


def _poll_channels(session_factory: SessionFactory) -> int:
    return polling.poll_due(session_factory)


def _purge(session_factory: SessionFactory) -> int:
    return retention.purge_due(session_factory)


def _paused(session_factory: SessionFactory) -> bool:
    with session_factory() as session:
        return runtime.paused(session) is not None


def _guarded(what: str, run: Callable[[SessionFactory], int], session_factory: SessionFactory) -> int:
    """Run one pass; its failure (a platform, a broken model, a bug) is logged and must not stop deliveries."""
    try:
        return run(session_factory)
    except Exception:
        log.exception("worker: %s failed; deliveries carry on", what)
        return 0


def run_forever(
    session_factory: SessionFactory,
    *,
    worker_id: str,
    stop: threading.Event | None = None,
    batch: int = DEFAULT_BATCH,
) -> None:
    """Run passes until `stop` is set or SIGTERM/SIGINT arrives.

    A signal lets the current item finish and hands the rest of the batch back; a second one exits at once.
    """
    stop = stop or threading.Event()
    poll = get_settings().worker_poll_seconds
    log.info("worker %s started", worker_id)
    warming = threading.Thread(target=warm_models, name="sotong-warm-models", daemon=True)
    warming.start()
    # On PostgreSQL deliveries run in threads of their own, so a receipt never waits behind triage, a
    # deadline sweep or a slow platform poll. SQLite (one embedded worker) keeps one loop: a second writing
    # connection there only trades waiting for "database is locked".
    with session_factory() as probe:
        separate_delivery = probe.get_bind().dialect.name == "postgresql"
        reason = runtime.paused(probe)
    if reason:
        log.warning(
            "worker %s: deliveries and channel polling are paused (%s): `sotong resume` starts them", worker_id, reason
        )
    heartbeat = Heartbeat(session_factory, worker_id=worker_id)
    heartbeat.beat(force=True)
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
                started = time.monotonic()
                try:
                    busy = run_pass(
                        session_factory, worker_id=worker_id, batch=batch, stop=stop, deliver=not separate_delivery
                    ).total
                    heartbeat.beat(last_pass_seconds=time.monotonic() - started)
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
        # A process that exits while kiwipiepy is still building its analyser (a SIGTERM right after start) is
        # aborted by the C++ runtime: let the warm-up finish first.
        warming.join(timeout=WARM_UP_WAIT_SECONDS)
    log.info("worker %s stopped", worker_id)


class Heartbeat:
    """A worker's heartbeat, written at most every HEARTBEAT_SECONDS."""

    def __init__(self, session_factory: SessionFactory, *, worker_id: str) -> None:
        self.session_factory = session_factory
        self.worker_id = worker_id
        self.started_at = dt.datetime.now(dt.UTC)
        self.last = -HEARTBEAT_SECONDS

    def beat(self, *, last_pass_seconds: float | None = None, force: bool = False) -> None:
        if not force and time.monotonic() - self.last < HEARTBEAT_SECONDS:
            return
        try:
            with self.session_factory() as session:
                runtime_actions.beat(
                    session,
                    worker_id=self.worker_id,
                    version=__version__,
                    started_at=self.started_at,
                    last_pass_seconds=last_pass_seconds,
                )
            self.last = time.monotonic()
        except Exception:  # the loop's own error handling reports a database that is down
            log.warning("worker %s: the heartbeat could not be written", self.worker_id, exc_info=True)


def _deliver_forever(session_factory: SessionFactory, *, worker_id: str, batch: int, stop: threading.Event) -> None:
    """Deliver due items as they come until `stop`: look again at once after a full batch, else shortly."""
    while not stop.is_set():
        try:
            if _paused(session_factory):
                stop.wait(DELIVERY_IDLE_SECONDS * 4)
                continue
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
    started = time.perf_counter()
    try:
        analysis.warm()
        pipeline.default_model()
    except Exception:
        log.exception("worker: warming the language models failed; they load on first use instead")
        return
    log.info("worker: language models loaded in %.1f s", time.perf_counter() - started)


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
