"""With no PostgreSQL server answering, the suite starts its own cluster, or fails saying what to install."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.pg import PostgresUnavailable
from tests.pg_cluster import throwaway_cluster

ROOT = Path(__file__).resolve().parent.parent


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_throwaway_cluster_serves_and_goes_away() -> None:
    with throwaway_cluster() as url:
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE scratch")
            assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
    assert not _listening(port)


def test_missing_postgresql_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOTONG_TEST_PG_CTL", "/nonexistent/pg_ctl")
    with pytest.raises(PostgresUnavailable, match="apt-get install postgresql"), throwaway_cluster():
        pass


def test_suite_falls_back_to_a_throwaway_cluster() -> None:
    """The PostgreSQL half of a test module passes against a cluster the suite starts itself."""
    env = {**os.environ, "SOTONG_TEST_POSTGRES_URL": "postgresql://postgres@127.0.0.1:1/postgres"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-k",
            "postgresql",
            "tests/outbox/test_unknown_transport.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
