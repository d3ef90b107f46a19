"""Killing a real worker process in the one window that matters: after the platform accepted a message, before
the worker recorded it sent.

The worker is a forked child running the real delivery loop against a platform fake over real HTTP (the fakes
run in the test process, in threads). Its transport is the real connector, wrapped so that once the platform has
answered for the chosen item, the child tells the test through a pipe and waits: the test then SIGKILLs it, so
the record never happens. A fork (not a spawn) keeps each kill cheap: the child already has Sotong imported.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import select
import signal
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from httpx._transports import default as httpx_transports
from sqlalchemy.orm import Session

from sotong.db import make_engine, session_factory
from sotong.outbox import transports
from sotong.outbox.delivery import run_once
from sotong.outbox.transports import Delivery, Settlement, Transport, get_transport

BATCH = 25


def killing(inner: Transport, *, kill_after: int, pipe: int) -> Transport:
    """`inner`, except that its `kill_after`-th accepted send hangs (after the platform accepted it) until killed;
    `kill_after` 0 never hangs."""
    sends = iter(range(1, 1_000_000))

    class Killing(Transport):
        name: ClassVar[str] = inner.name
        private: ClassVar[bool] = inner.private
        idempotent: ClassVar[bool] = inner.idempotent

        def resend_is_safe(self, delivery: Delivery) -> bool:
            return inner.resend_is_safe(delivery)

        def settle(self, delivery: Delivery, *, session: Session) -> Settlement:
            return inner.settle(delivery, session=session)

        def send(self, delivery: Delivery, *, session: Session) -> str | None:
            ref = inner.send(delivery, session=session)
            if next(sends) == kill_after:
                os.write(pipe, str(delivery.item_id).encode() + b"\n")
                threading.Event().wait()  # the platform has it; the worker dies before recording it
            return ref

    return Killing()


def _one_certificate_store() -> None:
    """Each `httpx.post` of a connector loads the system's certificates afresh (most of a send's CPU here); the
    fakes speak plain HTTP and these tests are about bookkeeping, so a worker loads them once."""
    original = httpx_transports.create_ssl_context
    shared = original()

    def create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
        return shared if verify is True and cert is None else original(verify=verify, cert=cert, trust_env=trust_env)

    httpx_transports.create_ssl_context = create_ssl_context  # type: ignore[assignment]


def _work(url: str, transport: str, worker_id: str, now: dt.datetime, kill_after: int, pipe: int) -> None:
    """Child: deliver everything due at `now` with the wrapped transport, then exit."""
    _one_certificate_store()
    transports.register(killing(get_transport(transport), kill_after=kill_after, pipe=pipe))
    engine = make_engine(url)  # never the parent's pool: its connections belong to the parent
    factory = session_factory(engine)
    while run_once(factory, worker_id=worker_id, now=now, batch=BATCH):
        pass
    engine.dispose()


def run_with_kills(url: str, *, transport: str, kills: list[int], lease_seconds: float) -> list[int]:
    """Run one worker per entry of `kills`, each killed after its n-th accepted send, then one that finishes the
    work; each next worker's clock is past the previous one's lease. Returns the ids of the items in the window."""
    ctx = multiprocessing.get_context("fork")
    start = dt.datetime.now(dt.UTC)
    in_window: list[int] = []
    for number, kill_after in enumerate([*kills, 0]):
        now = start + dt.timedelta(seconds=number * (lease_seconds + 1))
        read, write = os.pipe()
        child = ctx.Process(target=_work, args=(url, transport, f"{transport}-{number}", now, kill_after, write))
        child.start()
        os.close(write)
        if kill_after:
            ready, _, _ = select.select([read], [], [], 60)
            assert ready, f"worker {number} never reached the window"
            said = os.read(read, 100).decode().split()
            assert said, f"worker {number} ended before the window (exit code {child.join(30) or child.exitcode})"
            in_window.append(int(said[0]))
            assert child.pid is not None
            os.kill(child.pid, signal.SIGKILL)
            child.join(timeout=30)
            assert child.exitcode == -signal.SIGKILL
        else:
            child.join(timeout=120)
            assert child.exitcode == 0, f"the last worker exited with {child.exitcode}"
        os.close(read)
    return in_window


Setup = Callable[[int], tuple[str | None, dict[str, object]]]
