"""Two worker processes on one PostgreSQL outbox: every item is delivered, and delivered once."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.db import make_engine, session_factory
from sotong.outbox.models import OutboxItem, OutboxStatus
from tests.factories import World, build_world
from tests.outbox import procs
from tests.outbox.helpers import queue

pytestmark = pytest.mark.postgres_only
ITEMS = 300


@pytest.fixture
def pg(pg_url: str) -> Iterator[tuple[Session, World]]:
    engine = make_engine(pg_url)
    procs.create_platform_log(pg_url)
    with session_factory(engine)() as s:
        yield s, build_world(s)
    procs.drop_platform_log(pg_url)
    engine.dispose()


def test_two_workers_deliver_every_item_exactly_once(pg_url: str, pg: tuple[Session, World]) -> None:
    session, world = pg
    keys = {queue(session, org_id=world.songpa.id, transport="platform").idempotency_key for _ in range(ITEMS)}
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    workers = [ctx.Process(target=procs.drain, args=(pg_url, f"worker-{n}", barrier, 10)) for n in range(2)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=120)
    assert [p.exitcode for p in workers] == [0, 0]

    delivered = procs.platform_rows(pg_url)
    assert Counter(key for key, _, _ in delivered).most_common(1)[0][1] == 1  # nothing twice
    assert {key for key, _, _ in delivered} == keys  # nothing lost
    by_worker = Counter(worker for _, _, worker in delivered)
    assert set(by_worker) == {"worker-0", "worker-1"}, by_worker  # both really took part
    sent = session.scalar(select(func.count()).where(OutboxItem.status == OutboxStatus.sent))
    assert sent == ITEMS
