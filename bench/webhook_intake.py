"""Webhook intake on PostgreSQL: signed Facebook Page webhooks against uvicorn, throughput and latency.

    .venv/bin/python bench/webhook_intake.py                  # 5,000 messages, 32 concurrent senders
    .venv/bin/python bench/webhook_intake.py --messages 20000 --concurrency 64 --workers 2

The promise measured (issue 6): >= 1,000 messages/s sustained with p99 < 50 ms per request, uvicorn on 2 cores.
Each request is one citizen comment with its own id, signed with X-Hub-Signature-256 exactly as Facebook
signs it, so every request pays for the signature check, parsing, and storing the message and its case.
A second pass re-sends a sample (retries): they must be recognised as duplicates, never stored twice.

The database is SOTONG_BENCH_DATABASE_URL if set, else `sotong_bench_hooks` on 127.0.0.1:5432, dropped
and recreated each run. The load generator runs in this process on the same two cores (a bare asyncio HTTP/1.1
keep-alive client, `_support.KeepAlive`: httpx would eat more CPU per request than the server), so the figures are a
floor for what a separate load balancer host would see. The CPU the server processes spent per request is printed
too: unlike latency it hardly depends on what else the machine is doing. In queued mode the worker's share (events
turned into messages and cases) is timed afterwards, as its own figure.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import time

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from _support import (
    SECRET_KEY,
    KeepAlive,
    free_port,
    fresh_database,
    pct,
    server_cpu_seconds,
    server_env,
    silent_facebook_page,
    start_uvicorn,
    stop_uvicorn,
    varied_complaints,
)
from sotong import schema
from sotong.actors import CLI
from sotong.cases.models import Case, Message
from sotong.db import make_engine, session_factory
from sotong.orgs import actions as org_actions

BENCH_DB = "sotong_bench_hooks"
APP_SECRET = "bench-app-secret"
PAGE_ID = "1029384756"
DUPLICATE = -1  # the key under which fire() counts answers that recognised a duplicate
console = Console()

# Varied texts: five sentences repeated would keep the analyser's word cache and the model's features warm, which a
# city's stream does not (most messages bring words the process has not met yet).
TEXTS = varied_complaints(20_000, seed=3)


# The server and this process must share the secret: channel credentials are encrypted with a key derived from it.
os.environ["SOTONG_SECRET_KEY"] = SECRET_KEY


def prepare(url: str) -> int:
    schema.upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        org = org_actions.create_organisation(session, actor=CLI, slug="songpa", name="송파구", short_name="송파")
        roads = org_actions.create_department(session, actor=CLI, org_id=org.id, name="도로과")
        account_id = silent_facebook_page(
            session, org.id, handle="songpa.gu", page_id=PAGE_ID, app_secret=APP_SECRET, department_id=roads.id
        )
    engine.dispose()
    return account_id


@functools.cache
def body(n: int) -> bytes:
    """Comment number n's webhook, the same bytes every time it is sent (a platform retry resends them as they were)."""
    value = {
        "from": {"id": str(100000 + n % 5000), "name": "시민"},
        "post_id": f"{PAGE_ID}_1",
        "comment_id": f"1_{n}",
        "parent_id": f"{PAGE_ID}_1",
        "created_time": int(time.time()),
        "item": "comment",
        "verb": "add",
        "message": TEXTS[n % len(TEXTS)],
    }
    entry = {"id": PAGE_ID, "time": int(time.time()), "changes": [{"field": "feed", "value": value}]}
    return json.dumps({"object": "page", "entry": [entry]}).encode()


def headers(payload: bytes) -> dict[str, str]:
    digest = hmac.new(APP_SECRET.encode(), payload, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def start_server(url: str, port: int, workers: int, queued: bool) -> subprocess.Popen[bytes]:
    env = server_env(url, port, SOTONG_WEBHOOK_QUEUE="true" if queued else "false")
    return start_uvicorn(env, port, workers)


async def fire(port: int, path: str, numbers: list[int], concurrency: int) -> tuple[list[float], float, dict[int, int]]:
    """Send one signed webhook per number from `concurrency` keep-alive connections; latencies, seconds, codes.

    `codes` counts HTTP statuses, and under the key -1 the answers that called the event a duplicate.
    """
    latencies: list[float] = []
    codes: dict[int, int] = {}
    pending = iter(numbers)

    async def sender() -> None:
        connection = KeepAlive("127.0.0.1", port)
        try:
            for n in pending:  # one shared iterator: each number is sent once, by whichever sender is free
                payload = body(n)
                started = time.perf_counter()
                status, answer = await connection.post(path, payload, headers(payload))
                latencies.append(time.perf_counter() - started)
                codes[status] = codes.get(status, 0) + 1
                if status == 200 and json.loads(answer).get("duplicates"):
                    codes[DUPLICATE] = codes.get(DUPLICATE, 0) + 1
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started, codes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--mode",
        choices=["queued", "inline"],
        default="queued",
        help="queued: SOTONG_WEBHOOK_QUEUE=true, the worker takes messages in afterwards (measured too); "
        "inline: each request stores its message and case",
    )
    args, _ = parser.parse_known_args()  # `make bench` passes --cases to every script

    load = os.getloadavg()[0]
    url = fresh_database(BENCH_DB)
    account_id = prepare(url)
    path = f"/hooks/facebook/{account_id}"
    port = free_port()
    queued = args.mode == "queued"
    server = start_server(url, port, args.workers, queued)
    try:
        asyncio.run(fire(port, path, list(range(-200, 0)), 8))  # warm-up: connections, imports, plans
        cpu_before, client_before = server_cpu_seconds(server), time.process_time()
        latencies, elapsed, codes = asyncio.run(fire(port, path, list(range(args.messages)), args.concurrency))
        server_seconds, client_seconds = server_cpu_seconds(server) - cpu_before, time.process_time() - client_before
        retries = list(range(0, args.messages, max(1, args.messages // 500)))
        _, _, retry_codes = asyncio.run(fire(port, path, retries, args.concurrency))
    finally:
        stop_uvicorn(server)

    engine = make_engine(url)
    drain: tuple[int, float] | None = None
    if queued:
        # The worker's share, as `sotong worker` does it: the first call takes the 200 warm-up events in and pays
        # for loading the language models (a worker does that once at start); the rest is timed.
        from sotong.channels.webhooks import process_events

        process_events(session_factory(engine), batch=200)
        started = time.perf_counter()
        taken = 0
        while finished := process_events(session_factory(engine), batch=500):
            taken += finished
        drain = (taken, time.perf_counter() - started)
    with session_factory(engine)() as session:
        stored = session.scalar(select(func.count()).select_from(Message)) or 0
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
    engine.dispose()

    table = Table(title=f"webhook intake: {args.messages:,} signed Facebook comments, {args.concurrency} senders")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("mode", args.mode)
    table.add_row("uvicorn workers", str(args.workers))
    table.add_row("load average before the run", f"{load:.2f}")
    table.add_row("throughput", f"{args.messages / elapsed:,.0f} messages/s")
    table.add_row("latency p50", f"{pct(latencies, 0.50) * 1000:.1f} ms")
    table.add_row("latency p95", f"{pct(latencies, 0.95) * 1000:.1f} ms")
    table.add_row("latency p99", f"{pct(latencies, 0.99) * 1000:.1f} ms")
    table.add_row("latency max", f"{max(latencies) * 1000:.1f} ms")
    table.add_row("latency mean", f"{statistics.mean(latencies) * 1000:.1f} ms")
    table.add_row("server CPU per request", f"{server_seconds / args.messages * 1000:.2f} ms")
    table.add_row("load generator CPU per request", f"{client_seconds / args.messages * 1000:.2f} ms")
    table.add_row("HTTP status", ", ".join(f"{k}: {v:,}" for k, v in sorted(codes.items()) if k != DUPLICATE))
    table.add_row(
        "retries re-sent",
        f"{len(retries):,} ({', '.join(f'{k}: {v}' for k, v in retry_codes.items() if k != DUPLICATE)}),"
        f" {retry_codes.get(DUPLICATE, 0):,} answered as duplicates",
    )
    table.add_row("messages stored (incl. 200 warm-up)", f"{stored:,}")
    table.add_row("cases opened", f"{cases:,}")
    if drain is not None:
        taken, seconds = drain
        table.add_row(
            "worker drain (1 process, events → cases)",
            f"{taken / seconds:,.0f} events/s ({taken:,} in {seconds:.1f} s)",
        )
    console.print(table)
    ok = (
        stored == args.messages + 200
        and codes.get(200, 0) == args.messages
        and not codes.get(DUPLICATE)
        and retry_codes.get(DUPLICATE, 0) == len(retries)
    )
    if not ok:
        console.print("[red]not every message was stored exactly once[/red]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
