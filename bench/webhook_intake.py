"""Webhook intake on PostgreSQL: signed Facebook Page webhooks against uvicorn, throughput and latency.

    .venv/bin/python bench/webhook_intake.py                  # 5,000 messages, 32 concurrent senders
    .venv/bin/python bench/webhook_intake.py --messages 20000 --concurrency 64 --workers 2

The promise measured (issue 6): >= 1,000 messages/s sustained with p99 < 50 ms per request, uvicorn on 2 cores.
Each request is one citizen comment with its own id, signed with X-Hub-Signature-256 exactly as Facebook
signs it, so every request pays for the signature check, parsing, and storing the message and its case.
A second pass re-sends a sample (retries): they must be recognised as duplicates, never stored twice.

The database is SOTONG_BENCH_DATABASE_URL if set, else `sotong_bench_hooks` on 127.0.0.1:5432, dropped
and recreated each run. The load generator runs in this process (asyncio + httpx) on the same two cores, so the
figures are a floor for what a separate load balancer host would see.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import time

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from _support import SECRET_KEY, free_port, fresh_database, pct
from sotong import schema
from sotong.actors import CLI
from sotong.cases.models import Case, Message
from sotong.db import make_engine, session_factory
from sotong.orgs import actions as org_actions
from sotong.orgs.models import Channel

BENCH_DB = "sotong_bench_hooks"
APP_SECRET = "bench-app-secret"
PAGE_ID = "1029384756"
console = Console()

TEXTS = [
    "잠실역 4번 출구 앞 신호등이 고장났어요",
    "석촌호수 산책로 가로등이 꺼져 있습니다",
    "우리 아파트 앞 불법 주차 단속 부탁드립니다",
    "가락시장 사거리 보도블럭이 깨져서 위험해요",
    "올림픽공원 화장실 청소가 안 되어 있습니다",
]


# The server and this process must share the secret: channel credentials are encrypted with a key derived from it.
os.environ["SOTONG_SECRET_KEY"] = SECRET_KEY


def prepare(url: str) -> int:
    schema.upgrade(url)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        org = org_actions.create_organisation(session, actor=CLI, slug="songpa", name="송파구", short_name="송파")
        roads = org_actions.create_department(session, actor=CLI, org_id=org.id, name="도로과")
        account = org_actions.create_channel_account(
            session,
            actor=CLI,
            org_id=org.id,
            channel=Channel.facebook,
            handle="songpa.gu",
            department_id=roads.id,
            config={
                "page_id": PAGE_ID,
                "page_access_token": "bench-token",
                "app_secret": APP_SECRET,
                "verify_token": "bench-verify",
                "graph_url": "http://127.0.0.1:9/",  # nothing is sent during the benchmark
            },
        )
        account_id = account.id
    engine.dispose()
    return account_id


def body(n: int) -> bytes:
    value = {
        "from": {"id": str(100000 + n % 5000), "name": "시민"},
        "post_id": f"{PAGE_ID}_1",
        "comment_id": f"1_{n}",
        "parent_id": f"{PAGE_ID}_1",
        "created_time": int(time.time()),
        "item": "comment",
        "verb": "add",
        "message": f"{TEXTS[n % len(TEXTS)]} ({n})",
    }
    entry = {"id": PAGE_ID, "time": int(time.time()), "changes": [{"field": "feed", "value": value}]}
    return json.dumps({"object": "page", "entry": [entry]}).encode()


def headers(payload: bytes) -> dict[str, str]:
    digest = hmac.new(APP_SECRET.encode(), payload, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def start_server(url: str, port: int, workers: int, queued: bool) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SOTONG_WEBHOOK_QUEUE": "true" if queued else "false",
        "SOTONG_DATABASE_URL": url,
        "SOTONG_ENV": "production",
        "SOTONG_SECRET_KEY": SECRET_KEY,
        "SOTONG_BASE_URL": f"http://127.0.0.1:{port}",
    }
    cmd = [
        sys.executable, "-m", "uvicorn", "sotong.web.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
        # Keep-alive longer than any pause between a sender's requests: otherwise uvicorn may close a connection
        # just as the client reuses it (a race every HTTP/1.1 client hits under load, not a server fault).
        "--timeout-keep-alive", "75",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("uvicorn did not come up")


async def fire(base: str, numbers: list[int], concurrency: int) -> tuple[list[float], float, dict[int, int]]:
    latencies: list[float] = []
    codes: dict[int, int] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in numbers:
        queue.put_nowait(n)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def sender() -> None:
            while True:
                try:
                    n = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                payload = body(n)
                started = time.perf_counter()
                response = await client.post(path, content=payload, headers=headers(payload))
                latencies.append(time.perf_counter() - started)
                codes[response.status_code] = codes.get(response.status_code, 0) + 1

        path = BASE_PATH
        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, elapsed, codes


BASE_PATH = ""


def main() -> int:
    global BASE_PATH
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

    url = fresh_database(BENCH_DB)
    account_id = prepare(url)
    BASE_PATH = f"/hooks/facebook/{account_id}"
    port = free_port()
    queued = args.mode == "queued"
    server = start_server(url, port, args.workers, queued)
    try:
        base = f"http://127.0.0.1:{port}"
        asyncio.run(fire(base, list(range(-200, 0)), 8))  # warm-up: connections, imports, plans
        latencies, elapsed, codes = asyncio.run(fire(base, list(range(args.messages)), args.concurrency))
        retries = list(range(0, args.messages, max(1, args.messages // 500)))
        _, _, retry_codes = asyncio.run(fire(base, retries, args.concurrency))
    finally:
        server.terminate()
        server.wait(timeout=30)

    engine = make_engine(url)
    drain_seconds = 0.0
    if queued:
        # The worker's share: take every queued event in (messages, cases, receipts queued), as `sotong worker` does.
        from sotong.channels.events import process_events

        started = time.perf_counter()
        while process_events(session_factory(engine), batch=500):
            pass
        drain_seconds = time.perf_counter() - started
    with session_factory(engine)() as session:
        stored = session.scalar(select(func.count()).select_from(Message)) or 0
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
    engine.dispose()

    table = Table(title=f"webhook intake: {args.messages:,} signed Facebook comments, {args.concurrency} senders")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("mode", args.mode)
    table.add_row("uvicorn workers", str(args.workers))
    table.add_row("throughput", f"{args.messages / elapsed:,.0f} messages/s")
    table.add_row("latency p50", f"{pct(latencies, 0.50) * 1000:.1f} ms")
    table.add_row("latency p95", f"{pct(latencies, 0.95) * 1000:.1f} ms")
    table.add_row("latency p99", f"{pct(latencies, 0.99) * 1000:.1f} ms")
    table.add_row("latency mean", f"{statistics.mean(latencies) * 1000:.1f} ms")
    table.add_row("HTTP status", ", ".join(f"{k}: {v:,}" for k, v in sorted(codes.items())))
    table.add_row("retries re-sent", f"{len(retries):,} ({', '.join(f'{k}: {v}' for k, v in retry_codes.items())})")
    table.add_row("messages stored (incl. 200 warm-up)", f"{stored:,}")
    table.add_row("cases opened", f"{cases:,}")
    if queued:
        table.add_row("worker take-in (1 process)", f"{stored / drain_seconds:,.0f} messages/s ({drain_seconds:.1f} s)")
    console.print(table)
    ok = stored == args.messages + 200 and codes.get(200, 0) == args.messages
    if not ok:
        console.print("[red]not every message was stored exactly once[/red]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
