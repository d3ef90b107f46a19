"""Worker processes for the PostgreSQL concurrency tests (spawned: each has its own interpreter and pool).

`PlatformLog` plays the remote platform: it writes every accepted delivery to a table through its own
autocommit connection, outside the worker's transaction, so a double send would show as a second row.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any, ClassVar

import psycopg
from sqlalchemy.orm import Session

from sotong.db import make_engine, session_factory
from sotong.outbox import transports
from sotong.outbox.delivery import run_once
from sotong.outbox.transports import Delivery, Transport
from sotong.worker import run_forever

PLATFORM_TABLE = "test_platform_log"


def create_platform_log(url: str) -> None:
    """The table the fake platform writes to (not part of Sotong's schema)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {PLATFORM_TABLE} "
            "(id bigserial PRIMARY KEY, idempotency_key text NOT NULL, item_id bigint NOT NULL, worker text NOT NULL,"
            " event text NOT NULL DEFAULT 'sent')"
        )
        conn.execute(f"TRUNCATE {PLATFORM_TABLE}")


def drop_platform_log(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {PLATFORM_TABLE}")


def platform_rows(url: str, event: str = "sent") -> list[tuple[str, int, str]]:
    """(idempotency key, item id, worker) of every delivery the platform accepted."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            f"SELECT idempotency_key, item_id, worker FROM {PLATFORM_TABLE} WHERE event = %s ORDER BY id", (event,)
        ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


class PlatformLog(Transport):
    """Accepts every delivery and logs it on the platform's side."""

    name: ClassVar[str] = "platform"

    def __init__(self, url: str, worker_id: str, *, block: bool = False, pause: float = 0.0) -> None:
        self.conn = psycopg.connect(url, autocommit=True)
        self.worker_id = worker_id
        self.block = block
        self.pause = pause

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        if self.block:
            # A send that never returns (a hung connection): the worker is killed in the middle of it.
            self._log(delivery, "started")
            threading.Event().wait()
        if self.pause:
            time.sleep(self.pause)
        self._log(delivery, "sent")
        return f"{self.worker_id}-{delivery.item_id}"

    def _log(self, delivery: Delivery, event: str) -> None:
        self.conn.execute(
            f"INSERT INTO {PLATFORM_TABLE} (idempotency_key, item_id, worker, event) VALUES (%s, %s, %s, %s)",
            (delivery.idempotency_key, delivery.item_id, self.worker_id, event),
        )


def drain(url: str, worker_id: str, barrier: Any, batch: int) -> None:
    """Child: once every worker is ready, deliver until nothing is due."""
    transports.register(PlatformLog(url, worker_id, pause=0.001))
    engine = make_engine(url)
    factory = session_factory(engine)
    barrier.wait(timeout=60)
    while run_once(factory, worker_id=worker_id, batch=batch):
        pass
    engine.dispose()


def hang(url: str, worker_id: str, batch: int) -> None:
    """Child: claim a batch and hang in the first send until killed."""
    transports.register(PlatformLog(url, worker_id, block=True))
    run_once(session_factory(make_engine(url)), worker_id=worker_id, batch=batch)


def serve(url: str, worker_id: str, pause: float) -> None:
    """Child: the `sotong worker` loop, with slow sends, until SIGTERM."""
    transports.register(PlatformLog(url, worker_id, pause=pause))
    run_forever(session_factory(make_engine(url)), worker_id=worker_id, batch=50)


def later(seconds: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
