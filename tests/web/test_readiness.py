"""/readyz: ready only with the database answering, the schema this code's, and a worker heard from recently."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.db import utcnow
from sotong.runtime import actions as runtime_actions


def beat(session: Session, *, ago: float) -> None:
    now = utcnow() - dt.timedelta(seconds=ago)
    runtime_actions.beat(session, worker_id="w1", version="test", started_at=now, now=now)


@pytest.fixture
def revision(session: Session) -> Iterator[str]:
    current = str(session.scalar(text("SELECT version_num FROM alembic_version")))
    yield current
    # The PostgreSQL database is shared by the tests of this process: put the real revision back.
    session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
    session.commit()


def test_not_ready_while_no_worker_has_reported(client: TestClient, session: Session) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] is True and body["schema"] == "current"
    assert any("sotong worker" in problem for problem in body["problems"])
    assert client.get("/healthz").status_code == 200  # alive all the same: no restart needed


def test_ready_with_a_recent_heartbeat_and_not_after_the_worker_stopped(client: TestClient, session: Session) -> None:
    beat(session, ago=5)
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ok" and ready.json()["worker"]["last_seen_seconds"] >= 5
    beat(session, ago=61)  # the default limit is 60 s
    stale = client.get("/readyz")
    assert stale.status_code == 503 and "60 s" in stale.json()["problems"][0]


def test_a_paused_installation_is_ready_and_says_so(client: TestClient, session: Session) -> None:
    beat(session, ago=1)
    runtime_actions.pause(session, actor=CLI, reason="restored from a backup")
    body = client.get("/readyz").json()
    assert body["status"] == "ok" and body["paused"] == "restored from a backup"


def test_an_older_schema_asks_for_db_upgrade(client: TestClient, session: Session, revision: str) -> None:
    beat(session, ago=1)
    session.execute(text("UPDATE alembic_version SET version_num = '7e4d1c0a9b52'"))  # the 0.1.0 release's head
    session.commit()
    body = client.get("/readyz").json()
    assert body["schema"] == "behind" and "sotong db upgrade" in body["problems"][0]


def test_a_newer_schema_asks_for_newer_code(client: TestClient, session: Session, revision: str) -> None:
    session.execute(text("UPDATE alembic_version SET version_num = 'f00dfacefeed'"))  # no migration of ours
    session.execute(
        text("INSERT INTO schema_releases (version, revision, applied_at) VALUES ('9.1.0', 'f00dfacefeed', :t)"),
        {"t": utcnow() if session.get_bind().dialect.name != "sqlite" else utcnow().replace(tzinfo=None)},
    )
    session.commit()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["schema"] == "ahead" and "install sotong 9.1.0 or newer" in body["problems"][0]
