"""SIGTERM to `sotong worker`: the item being sent is finished and recorded, the rest handed back at once."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.db import make_engine, session_factory
from sotong.outbox.models import OutboxItem, OutboxStatus
from tests.factories import World, build_world
from tests.outbox import procs
from tests.outbox.helpers import queue

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def pg(pg_url: str) -> Iterator[tuple[Session, World]]:
    engine = make_engine(pg_url)
    procs.create_platform_log(pg_url)
    with session_factory(engine)() as s:
        yield s, build_world(s)
    procs.drop_platform_log(pg_url)
    engine.dispose()


def test_sigterm_finishes_the_current_item_and_releases_the_rest(pg_url: str, pg: tuple[Session, World]) -> None:
    session, world = pg
    ids = [queue(session, org_id=world.songpa.id, transport="platform").id for _ in range(10)]
    ctx = multiprocessing.get_context("spawn")
    worker = ctx.Process(target=procs.serve, args=(pg_url, "loop", 0.3))
    worker.start()
    deadline = time.monotonic() + 60
    while not procs.platform_rows(pg_url) and time.monotonic() < deadline:
        time.sleep(0.02)  # the first slow send has gone through
    assert worker.pid is not None
    os.kill(worker.pid, signal.SIGTERM)
    # Within systemd's default stop timeout (90 s): the pass under way (a triage batch may be loading the model on
    # a loaded machine) finishes first, so a tighter bound measured the machine rather than the worker.
    worker.join(timeout=90)
    assert worker.exitcode == 0

    delivered = procs.platform_rows(pg_url)
    session.rollback()
    rows = {item_id: status for item_id, status in session.execute(select(OutboxItem.id, OutboxItem.status))}
    sent = [i for i in ids if rows[i] is OutboxStatus.sent]
    assert sorted(item_id for _, item_id, _ in delivered) == sent  # what the platform got is recorded, and no more
    assert 1 <= len(sent) < len(ids)
    assert all(rows[i] is OutboxStatus.pending for i in ids if i not in sent)  # handed back, not left leased
