"""Finding the PostgreSQL server the tests run against (or starting a throwaway one) and test databases."""

from __future__ import annotations

import os
import uuid

import psycopg

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class PostgresUnavailable(RuntimeError):
    pass


def server_reachable(admin_url: str) -> bool:
    """True if we can log in to the admin database."""
    try:
        with psycopg.connect(admin_url, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def admin_url() -> str:
    """The admin URL of the server the tests use: SOTONG_TEST_POSTGRES_URL, else the local one."""
    return os.environ.get("SOTONG_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)


def create_database(admin: str, prefix: str = "sotong_test") -> str:
    """Create a fresh, uniquely named database and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        # A test database is thrown away: a commit need not wait for the WAL to reach the disk (a crash of the
        # server loses the last commits, never consistency). Tests that restart or kill the server itself set
        # up their own clusters.
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    base, _, _ = admin.rpartition("/")
    return f"{base}/{name}"


def drop_database(admin: str, url: str) -> None:
    """Drop a database made by create_database, ending any connection left open."""
    name = url.rpartition("/")[2]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
