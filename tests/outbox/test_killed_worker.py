"""A worker killed in the middle of a batch loses nothing: once its lease expires another delivers the rest, and the
item whose send had begun (the platform may have it) is shown as "outcome unknown", never sent a second time."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.db import make_engine, session_factory
from sotong.outbox import transports
from sotong.outbox.delivery import run_once
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.settings import get_settings
from tests.factories import World, build_world
from tests.outbox import procs
from tests.outbox.helpers import queue

pytestmark = pytest.mark.postgres_only
ITEMS = 25


@pytest.fixture
def pg(pg_url: str) -> Iterator[tuple[Session, World]]:
    engine = make_engine(pg_url)
    procs.create_platform_log(pg_url)
    with session_factory(engine)() as s:
        yield s, build_world(s)
    procs.drop_platform_log(pg_url)
    engine.dispose()


def _claimed_by(session: Session, worker_id: str) -> int:
    session.rollback()
    query = select(func.count()).where(OutboxItem.status == OutboxStatus.sending, OutboxItem.claimed_by == worker_id)
    return session.scalar(query) or 0


def test_killed_worker_loses_nothing_and_nothing_is_sent_twice(
    pg_url: str, pg: tuple[Session, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    session, world = pg
    keys = {queue(session, org_id=world.songpa.id, transport="platform").idempotency_key for _ in range(ITEMS)}
    ctx = multiprocessing.get_context("spawn")
    doomed = ctx.Process(target=procs.hang, args=(pg_url, "doomed", 100))
    doomed.start()
    deadline = time.monotonic() + 60
    while not procs.platform_rows(pg_url, "started") and time.monotonic() < deadline:
        time.sleep(0.02)  # waiting for the child to claim the batch and hang in its first send
    assert _claimed_by(session, "doomed") == ITEMS
    assert doomed.pid is not None
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.join(timeout=30)
    assert doomed.exitcode == -signal.SIGKILL

    rescuer = procs.PlatformLog(pg_url, "rescuer")
    monkeypatch.setitem(transports.TRANSPORTS, rescuer.name, rescuer)
    factory = session_factory(session.get_bind())  # type: ignore[arg-type]
    assert run_once(factory, worker_id="rescuer", batch=100) == 0  # the lease still holds: hands off
    lease = get_settings().outbox_lease_seconds
    assert run_once(factory, worker_id="rescuer", batch=100, now=procs.later(lease + 1)) == ITEMS

    started = procs.platform_rows(pg_url, "started")
    assert len(started) == 1  # the doomed worker was in the middle of this one's send
    [(hung_key, hung_id, _)] = started
    delivered = procs.platform_rows(pg_url)
    assert sorted(key for key, _, _ in delivered) == sorted(keys - {hung_key})  # all the others, each once
    assert Counter(worker for _, _, worker in delivered) == {"rescuer": ITEMS - 1}
    session.rollback()
    rows = session.execute(select(OutboxItem.id, OutboxItem.status, OutboxItem.claimed_by, OutboxItem.attempts)).all()
    assert {(s, c, a) for i, s, c, a in rows if i != hung_id} == {(OutboxStatus.sent, "rescuer", 2)}
    hung = session.get(OutboxItem, hung_id)
    assert hung is not None
    assert (hung.status, hung.error_code) == (OutboxStatus.unknown, "interrupted")
