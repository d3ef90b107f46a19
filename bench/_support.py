"""What the channel benchmarks share: a fresh database, a free port, the shared secret, a percentile.

(`run_all.py` skips files starting with "_": this is not a benchmark of its own.)
"""

from __future__ import annotations

import os
import socket

import psycopg

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
# Shared by the benchmark process, its server and its worker: channel credentials are sealed with a key derived
# from it, so all of them must agree.
SECRET_KEY = "bench-secret-key-that-is-long-enough-0123456789"


def fresh_database(name: str) -> str:
    """SOTONG_BENCH_DATABASE_URL if set, else database `name` on 127.0.0.1:5432, dropped and recreated."""
    url = os.environ.get("SOTONG_BENCH_DATABASE_URL")
    if url:
        return url
    with psycopg.connect(f"{DEFAULT_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    """The q-quantile of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
