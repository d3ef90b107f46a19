"""Public statistics, map, feeds and exports on 1,000,000 public cases in PostgreSQL.

    .venv/bin/python bench/portal_stats.py                  # 1,000,000 cases (database `sotong_bench_stats`)
    .venv/bin/python bench/portal_stats.py --cases 50000    # a quick run

Measures the SQL aggregates of /stats cold (what one request pays once a minute per process and view), the
map clusters, the feeds and the export's read rate, then /stats and a feed over HTTP (one uvicorn process in
this process, cache warm) at several concurrencies. The database is SOTONG_BENCH_DATABASE_URL if set (empty),
else `sotong_bench_stats` on 127.0.0.1:5432, dropped and recreated. Rows are generated inside PostgreSQL
(generate_series), so the insert costs no Python time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
from rich.console import Console
from rich.table import Table

from sotong import schema
from sotong.actors import CLI
from sotong.db import make_engine, session_factory
from sotong.orgs import actions as org_actions
from sotong.portal import export, feeds, stats

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
BENCH_DB = "sotong_bench_stats"
TZ = ZoneInfo("Asia/Seoul")
console = Console()


def prepare_database() -> str:
    """A migrated, empty database."""
    url = os.environ.get("SOTONG_BENCH_DATABASE_URL")
    if url is None:
        url = f"{DEFAULT_SERVER}/{BENCH_DB}"
        with psycopg.connect(f"{DEFAULT_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    schema.upgrade(url)
    return url


INSERT = """
INSERT INTO cases (org_id, number, status, complaint_type, category_id, department_id, channel, contact, title,
    body, public_text, is_public, is_whistleblower, latitude, longitude, received_at, first_responded_at,
    answered_at, clock_started_at, period_value, period_unit, due_at, escalation_level, created_at, updated_at)
SELECT %(org)s, '2026-B-' || lpad(g::text, 8, '0'),
    CASE WHEN g %% 10 < 7 THEN 'answered' WHEN g %% 10 = 7 THEN 'closed' WHEN g %% 50 = 8 THEN 'rejected'
         ELSE 'in_progress' END,
    (ARRAY['other','inquiry','suggestion','grievance','opinion'])[1 + g %% 5],
    (%(cats)s::bigint[])[1 + g %% array_length(%(cats)s::bigint[], 1)],
    (%(depts)s::bigint[])[1 + g %% array_length(%(depts)s::bigint[], 1)],
    (ARRAY['x','web','email','phone','facebook','kakao','sms'])[1 + (g * 7) %% 7],
    '{}', '가로등이 고장났어요 ' || g, '가로등이 고장났어요 ' || g, '가로등이 고장났어요 ' || g,
    g %% 20 <> 0, g %% 97 = 0,
    CASE WHEN g %% 3 = 0 THEN 37.43 + (g %% 2791) * 0.0001 END,
    CASE WHEN g %% 3 = 0 THEN 126.80 + (g %% 3797) * 0.0001 END,
    r.at, r.at + interval '1 hour' * (1 + g %% 30),
    CASE WHEN g %% 10 < 8 THEN r.at + interval '1 hour' * (2 + g %% 200) END,
    r.at, 7, 'days', r.at + interval '7 days', 0, r.at, r.at
FROM generate_series(1, %(n)s) AS g,
     LATERAL (SELECT %(now)s::timestamptz - interval '1 second' * ((g::bigint * 7919) %% (730 * 86400)) AS at) AS r
"""


def insert(url: str, n: int, now: dt.datetime) -> tuple[int, float]:
    """n cases over the last two years: 95 % public, 1 % 공익신고, some hidden, a third located in Seoul."""
    engine = make_engine(url)
    with session_factory(engine)() as session:
        org = org_actions.create_organisation(session, actor=CLI, slug="songpa", name="송파구", short_name="송파")
        depts = [
            org_actions.create_department(session, actor=CLI, org_id=org.id, name=f"부서{i:02d}").id for i in range(20)
        ]
        cats = [
            org_actions.create_category(session, actor=CLI, org_id=org.id, code=f"c{i}", name=f"분야{i:02d}").id
            for i in range(30)
        ]
        org_id = org.id
    engine.dispose()
    t0 = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute(INSERT, {"org": org_id, "cats": cats, "depts": depts, "n": n, "now": now})
    with psycopg.connect(url, autocommit=True) as conn:
        # What autovacuum does soon after a bulk load; the visibility map lets the stats index answer alone.
        conn.execute("VACUUM ANALYZE cases")
    return org_id, time.perf_counter() - t0


def timed(fn: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    """Median wall time in ms of `runs` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def http_load(base: str, path: str, concurrency: int, requests: int) -> tuple[float, float, float]:
    """p50 and p95 latency (ms) and throughput (req/s) of `requests` GETs by `concurrency` clients."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_client = max(1, requests // concurrency)

    def client(_: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            for _ in range(per_client):
                t0 = time.perf_counter()
                r = c.get(path)
                r.raise_for_status()
                with lock:
                    latencies.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(client, range(concurrency)))
    elapsed = time.perf_counter() - t0
    latencies.sort()
    return latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.95) - 1], len(latencies) / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--http-requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--reuse", action="store_true", help="measure the database of the last run again")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP latency part")
    args, _ = parser.parse_known_args(argv)  # `make bench` hands every benchmark the same extra arguments
    os.environ.setdefault("SOTONG_ENV", "test")
    table = Table("what", "figure", "note")
    now = dt.datetime.now(dt.UTC)

    if args.reuse:
        url = os.environ.get("SOTONG_BENCH_DATABASE_URL", f"{DEFAULT_SERVER}/{BENCH_DB}")
        schema.upgrade(url)  # indexes added since the last run
        with psycopg.connect(url) as conn:
            org_row = conn.execute("SELECT id FROM organisations WHERE slug = 'songpa'").fetchone()
            assert org_row, "nothing to reuse: run once without --reuse"
            org_id = int(org_row[0])
    else:
        url = prepare_database()
        org_id, seconds = insert(url, args.cases, now)
        table.add_row("insert (generate_series)", f"{args.cases / seconds:,.0f} rows/s", f"{seconds:.1f} s")
    console.print(f"database: {url}")

    engine = make_engine(url)
    factory = session_factory(engine)
    with factory() as session:
        for period, grain in (("30d", "day"), ("365d", "month"), ("all", "month")):
            query = stats.StatsQuery(period=period, grain=grain)
            ms, result = timed(lambda q=query: stats.compute(session, q, tz=TZ, now=now))  # type: ignore[misc]
            table.add_row(f"stats.compute {period}/{grain} (cold SQL)", f"{ms:,.0f} ms", f"{result.total:,} cases")
        query = stats.StatsQuery(period="all", grain="month", org_id=org_id)
        ms, found = timed(lambda: stats.clusters(session, query, tz=TZ, now=now, cell_degrees=0.01))
        table.add_row("map clusters, all, ~1 km grid", f"{ms:,.0f} ms", f"{len(found)} clusters")
        for kind in feeds.KINDS:
            ms, items = timed(lambda k=kind: feeds.items(session, feeds.FeedFilter(kind=k)))  # type: ignore[misc]
            table.add_row(f"feed items '{kind}' (50)", f"{ms:,.0f} ms", f"{len(items)} items")
    rows = export.records(factory, export.ExportFilter(), base_url="http://bench")
    t0 = time.perf_counter()
    counted = sum(1 for _ in zip(range(100_000), rows, strict=False))
    took = time.perf_counter() - t0
    table.add_row("export read rate (first 100k rows)", f"{counted / took:,.0f} rows/s", f"{took:.1f} s")

    engine.dispose()
    console.print(table)
    if args.no_http:
        return 0
    # The server runs as its own processes (as in production: `sotong serve` behind a proxy), so the load
    # generator in this process does not share their interpreter lock.
    port = 8765
    env = {**os.environ, "SOTONG_DATABASE_URL": url, "SOTONG_ENV": "test"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "sotong.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/healthz", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        for path in ("/stats", "/feeds/new.atom"):
            try:
                for _ in range(args.workers * 4):
                    httpx.get(base + path, timeout=120).raise_for_status()  # warm every worker's cache
            except httpx.HTTPError as exc:
                table.add_row(f"GET {path} (warming)", "failed", type(exc).__name__)
                continue
            for concurrency in (1, 20, 200):
                what = f"GET {path} x{concurrency} (cache warm, {args.workers} workers)"
                try:
                    p50, p95, rate = http_load(base, path, concurrency, args.http_requests if concurrency > 1 else 100)
                except httpx.HTTPError as exc:  # an overloaded server is a figure too
                    table.add_row(what, "failed", type(exc).__name__)
                    continue
                table.add_row(what, f"p95 {p95:,.0f} ms", f"p50 {p50:,.0f} ms, {rate:,.0f}/s")
    finally:
        server.terminate()
        server.wait(timeout=30)
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
