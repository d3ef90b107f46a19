"""Shared fixtures: every database test runs on SQLite and on real PostgreSQL."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["SOTONG_ENV"] = "test"
os.environ.setdefault("SOTONG_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from sotong import schema, wiring
from sotong.db import make_engine, session_factory
from sotong.models import Base
from sotong.settings import Settings, reset_settings_cache
from tests import pg
from tests.factories import World, build_world

BACKENDS = ["sqlite", "postgresql"]

# What every Sotong process does at start-up: the channels' transports, the outbox hooks, the search listener.
wiring.install()


@pytest.fixture(autouse=True)
def _test_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SOTONG_ENV", "test")
    monkeypatch.setenv("SOTONG_MEDIA_DIR", str(tmp_path / "media"))
    reset_settings_cache()
    yield
    reset_settings_cache()


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A PostgreSQL server: the running one, or a throwaway cluster. Never skipped: failing is loud."""
    url = pg.admin_url()
    if pg.server_reachable(url):
        yield url
        return
    from tests.pg_cluster import throwaway_cluster

    with throwaway_cluster() as started_url:
        yield started_url


@pytest.fixture(scope="session")
def pg_template_url(pg_admin_url: str) -> Iterator[str]:
    """One migrated database per test process; tests empty it after use."""
    url = pg.create_database(pg_admin_url)
    schema.upgrade(url)
    yield url
    pg.drop_database(pg_admin_url, url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    schema.upgrade(f"sqlite:///{path}")
    return path


# Children before parents, so each DELETE finds nothing left that points at its rows.
_TABLES = [t.name for t in reversed(Base.metadata.sorted_tables)]


def empty_postgresql(url: str) -> None:
    """Empty every table and restart every sequence after a test.

    DELETE, not TRUNCATE: a test leaves a handful of rows, and TRUNCATE of forty tables makes new files for each
    table and index and syncs them (0.6-1.2 s a test on a busy machine, against a few milliseconds here), which
    over a thousand PostgreSQL tests was a quarter of the suite's time."""
    engine = make_engine(url)
    with engine.begin() as conn:
        for table in _TABLES:
            conn.execute(text(f'DELETE FROM "{table}"'))
        # setval writes the sequence in place; ALTER SEQUENCE … RESTART would make a new file for each one.
        conn.execute(
            text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind = 'S' AND n.nspname = current_schema()"
            )
        )
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database, once per backend."""
    if request.param == "sqlite":
        path = tmp_path / "sotong.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_template_url")
    yield url
    empty_postgresql(url)


@pytest.fixture
def pg_url(pg_template_url: str) -> Iterator[str]:
    """A PostgreSQL-only database URL, for tests of SKIP LOCKED and concurrency."""
    yield pg_template_url
    empty_postgresql(pg_template_url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as s:
        yield s


@pytest.fixture
def settings(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SOTONG_DATABASE_URL", db_url)
    reset_settings_cache()
    from sotong.settings import get_settings

    return get_settings()


@pytest.fixture
def world(session: Session) -> World:
    """Two organisations with departments, staff personas, channel accounts and categories."""
    return build_world(session)
