"""Staff console pages under 50 concurrent staff sessions, with 1,000,000 cases in PostgreSQL, over HTTP.

    .venv/bin/python bench/console_pages.py                 # 1,000,000 cases (database `sotong_bench_console`)
    .venv/bin/python bench/console_pages.py --cases 20000   # a quick run
    .venv/bin/python bench/console_pages.py --think 0       # sessions that never pause (pure saturation)
    .venv/bin/python bench/console_pages.py --reuse         # measure again on the database of the last run
    .venv/bin/python bench/console_pages.py --churn 0       # a database standing still (the old, flattering run)

The cases are seeded by bench/cases_1m.py (COPY; one district, 20 departments, a manager and 5 officers each,
two desk operators; every open status, deadlines ±30 days around now), then given a category (by their title)
and a stored triage decision each, in set-based statements. uvicorn runs as a subprocess (`--workers`,
production settings). 50 sessions (default) log in through the form (CSRF token from the log-in page), a fifth
of them operators and the rest officers of the 20 departments, then for `--duration` seconds each session loops:
request a page, wait a random think time (exponential, mean `--think` s). Operators request the inbox, its
polling endpoint (/staff/inbox/updates as the page polls every 5 s: since the newest case id of an inbox page read
at the start, with that page's 50 row ids, changes in the last 5 s), a department queue, the case list and case
pages; officers their department queue, the case list and case pages of their department. Meanwhile the data
changes (`--churn` writes/s): new citizen messages through the intake action and officers starting on cases, so
the inbox's polling finds news and no page reads a database standing still. Reported per page:
requests, req/s, p50/p95/p99 of the client-side latency, first for one operator session alone (`--serial` s,
no think time: what each page costs unloaded), then for the concurrent run (the app sets no Server-Timing
header; client and server share the machine's 2 cores, so the figures include the load generator's own CPU share).
Target (issue 4): p95 < 150 ms under 50 concurrent staff sessions.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))

import cases_1m  # bench/ is not a package: found through the path set just above
from _support import (
    SECRET_KEY,
    free_port,
    server_env,
    silent_facebook_page,
    start_uvicorn,
    stop_uvicorn,
    varied_complaints,
)
from sotong.cases import actions as intake
from sotong.cases.inbound import InboundMessage
from sotong.db import make_engine, session_factory
from sotong.orgs.models import ChannelAccount

PASSWORD = "bench-password-not-secret"  # what cases_1m.create_staff hashes (once) for every bench user
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
console = Console(width=150)  # the per-page table must not wrap when stdout is a pipe


# ------------------------------------------------------------------------------------------ server and load


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


SERVER_LOG = Path("/tmp") / f"sotong-bench-{os.getpid()}-uvicorn.log"


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """uvicorn with production settings, as bench/webhook_intake.py starts it; its errors go to SERVER_LOG."""
    return start_uvicorn(server_env(sqlalchemy_url(url), port), port, workers, log=SERVER_LOG)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop uvicorn and say how many errors it logged (and the first one's last line) while under load."""
    stop_uvicorn(proc)
    log = SERVER_LOG.read_text(errors="replace") if SERVER_LOG.exists() else ""
    errors = [line for line in log.splitlines() if re.match(r"^\w+(\.\w+)*(Error|Exception)\b", line)]
    if errors:
        console.print(f"[red]server logged {len(errors)} exceptions[/red], e.g. {errors[0][:200]} (log: {SERVER_LOG})")
    else:
        console.print(f"server logged no exceptions (log: {SERVER_LOG})")


@dataclass
class Samples:
    """Latencies (s) and status codes per page name."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    codes: dict[str, dict[str, int]] = field(default_factory=dict)
    server_ms: dict[str, list[float]] = field(default_factory=dict)

    def add(self, page: str, seconds: float, response: httpx.Response | Exception) -> None:
        self.latencies.setdefault(page, []).append(seconds)
        codes = self.codes.setdefault(page, {})
        code = type(response).__name__ if isinstance(response, Exception) else str(response.status_code)
        codes[code] = codes.get(code, 0) + 1
        if isinstance(response, Exception):
            return
        timing = response.headers.get("server-timing")
        if timing:  # "app;dur=12.3": read it if the app ever sets one
            match = re.search(r"dur=([0-9.]+)", timing)
            if match:
                self.server_ms.setdefault(page, []).append(float(match.group(1)))


# A session's next request: (page name for the report, path) chosen by the session itself.
Chooser = Callable[[random.Random], tuple[str, str]]


async def run_sessions(
    clients: list[tuple[httpx.AsyncClient, Chooser]], duration: float, think: float, seed: int
) -> tuple[Samples, float]:
    """Every client loops request → think until `duration` has passed; returns the samples and the elapsed time."""
    samples = Samples()
    stop_at = time.perf_counter() + duration

    async def session(n: int, client: httpx.AsyncClient, choose: Chooser) -> None:
        rng = random.Random(seed * 1000 + n)
        if think:
            await asyncio.sleep(rng.uniform(0, think))  # stagger the start
        while time.perf_counter() < stop_at:
            page, path = choose(rng)
            started = time.perf_counter()
            try:
                response: httpx.Response | Exception = await client.get(path)
            except httpx.HTTPError as exc:  # a timeout counts, with its latency, rather than ending the run
                response = exc
            samples.add(page, time.perf_counter() - started, response)
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))

    started = time.perf_counter()
    await asyncio.gather(*(session(n, c, choose) for n, (c, choose) in enumerate(clients)))
    return samples, time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(title: str, samples: Samples, elapsed: float, target_ms: float, order: list[str]) -> bool:
    """The per-page table; True when every page's p95 meets the target and every response was a 200."""
    table = Table(title=title)
    for column in ("page", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "HTTP status"):
        table.add_column(column, justify="left" if column in ("page", "HTTP status") else "right")
    if any(samples.server_ms.values()):
        table.add_column("Server-Timing p95 ms", justify="right")
    ok = True
    everything: list[float] = []
    for page in order:
        values = samples.latencies.get(page, [])
        if not values:
            continue
        everything += values
        p95 = pct(values, 0.95) * 1000
        codes = samples.codes[page]
        ok = ok and p95 < target_ms and set(codes) == {"200"}
        row = [
            page,
            f"{len(values):,}",
            f"{len(values) / elapsed:,.1f}",
            f"{pct(values, 0.50) * 1000:.1f}",
            f"[{'green' if p95 < target_ms else 'red'}]{p95:.1f}[/]",
            f"{pct(values, 0.99) * 1000:.1f}",
            f"{max(values) * 1000:.1f}",
            ", ".join(f"{k}: {v:,}" for k, v in sorted(codes.items())),
        ]
        if any(samples.server_ms.values()):
            server = samples.server_ms.get(page, [])
            row.append(f"{pct(server, 0.95):.1f}" if server else "")
        table.add_row(*row)
    if everything:
        table.add_row(
            "all pages",
            f"{len(everything):,}",
            f"{len(everything) / elapsed:,.1f}",
            f"{pct(everything, 0.50) * 1000:.1f}",
            f"{pct(everything, 0.95) * 1000:.1f}",
            f"{pct(everything, 0.99) * 1000:.1f}",
            f"{max(everything) * 1000:.1f}",
            "",
            style="bold",
        )
    console.print(table)
    console.print(
        f"target p95 < {target_ms:.0f} ms on every page: " + ("[green]met[/green]" if ok else "[red]missed[/red]")
    )
    return ok


# ------------------------------------------------------------------------------------------ console data


CATEGORY_OF_TITLE = {title: f"c{n}" for n, title in enumerate(cases_1m.TITLES)}


def add_categories(url: str, org_id: int, departments: list[int]) -> None:
    """One category per seeded title (each handled by a department), and every case given its title's category."""
    with psycopg.connect(url) as conn:
        for n, title in enumerate(cases_1m.TITLES):
            conn.execute(
                "INSERT INTO categories (org_id, code, name, department_id) VALUES (%s, %s, %s, %s)",
                (org_id, CATEGORY_OF_TITLE[title], title[:30], departments[n % len(departments)]),
            )
        conn.execute(
            "UPDATE cases c SET category_id = k.id FROM categories k "
            "WHERE k.org_id = c.org_id AND k.name = left(c.title, 30)"
        )
        conn.commit()


def add_triage(url: str) -> None:
    """One stored triage decision per case, as the worker leaves them (the shape bench/inbox_1m.py uses)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """
            INSERT INTO triage_results (org_id, case_id, relevant, relevance_probability, complaint_type,
                type_confidence, candidates, category_id, department_id, confidence, decided_by, explanation,
                auto_routed, created_at)
            SELECT org_id, id, (id % 10) <> 0, 0.9, complaint_type, 0.8,
                '[{"code": "c0", "category_id": null, "department_id": null, "confidence": 0.71}]'::json,
                category_id, department_id, 0.71, 'model default (seed)', 'bench', department_id IS NOT NULL,
                received_at
            FROM cases
            """
        )
        conn.execute("VACUUM ANALYZE")


def case_numbers_by_department(url: str, per_department: int) -> tuple[list[str], dict[int, list[str]]]:
    """A random sample of case numbers overall and per department (what officers may open)."""
    with psycopg.connect(url) as conn:
        every = [r[0] for r in conn.execute("SELECT number FROM cases TABLESAMPLE SYSTEM (1) LIMIT 5000")]
        by_dept: dict[int, list[str]] = {}
        for dept, number in conn.execute(
            "SELECT department_id, number FROM (SELECT department_id, number, "
            "row_number() OVER (PARTITION BY department_id ORDER BY random()) AS n "
            "FROM cases TABLESAMPLE SYSTEM (5) WHERE department_id IS NOT NULL) s WHERE n <= %s",
            (per_department,),
        ):
            by_dept.setdefault(dept, []).append(number)
    if not every:
        with psycopg.connect(url) as conn:
            every = [r[0] for r in conn.execute("SELECT number FROM cases ORDER BY random() LIMIT 5000")]
    return every, by_dept


def existing_staff(url: str) -> cases_1m.Staff:
    """The organisation and departments cases_1m.create_staff made in an earlier run (for --reuse)."""
    with psycopg.connect(url) as conn:
        org = conn.execute("SELECT id FROM organisations WHERE slug = 'bench'").fetchone()
        if org is None:
            raise SystemExit(f"no bench organisation in {url}: run once without --reuse")
        departments = [r[0] for r in conn.execute("SELECT id FROM departments WHERE org_id = %s ORDER BY id", org)]
    return cases_1m.Staff(org_id=org[0], departments=departments, officers={})


async def log_in(base: str, username: str) -> httpx.AsyncClient:
    """A client holding a logged-in session: GET the form for its CSRF token, POST the credentials."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    # Beyond any stall (a request waiting twice for the 30 s pool timeout takes over 60 s): measured, not cut off.
    client = httpx.AsyncClient(base_url=base, limits=limits, timeout=180)
    form = await client.get("/staff/login")
    match = CSRF_RE.search(form.text)
    if not match:
        raise SystemExit("no CSRF token on /staff/login")
    response = await client.post(
        "/staff/login",
        data={"username": username, "password": PASSWORD, "csrf_token": match.group(1), "next": "/staff/"},
        follow_redirects=False,
    )
    if response.status_code != 303:
        raise SystemExit(f"log-in of {username} failed: HTTP {response.status_code}")
    return client


LATEST_RE = re.compile(r'data-latest-id="(\d+)"')
ROW_ID_RE = re.compile(r'<li class="inbox-row[^"]*" id="case-\d+" data-id="(\d+)"')


async def poll_query(client: httpx.AsyncClient) -> str:
    """What the inbox page's script polls with: the newest case id it knows and the ids of the rows it shows."""
    page = (await client.get("/staff/inbox")).text
    latest = LATEST_RE.search(page)
    ids = ROW_ID_RE.findall(page)
    if latest is None or not ids:
        raise SystemExit("no inbox rows to poll for")
    return f"since={latest.group(1)}&ids={','.join(ids)}"


def operator_chooser(every: list[str], departments: list[int], poll: str) -> Chooser:
    def choose(rng: random.Random) -> tuple[str, str]:
        roll = rng.random()
        if roll < 0.25:
            return "inbox  /staff/inbox", "/staff/inbox"
        if roll < 0.50:
            # As the page polls every 5 s: what arrived since its newest case, what changed among its rows.
            after = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)).isoformat()
            return "inbox updates  /staff/inbox/updates (poll)", f"/staff/inbox/updates?{poll}&after={quote(after)}"
        if roll < 0.60:
            return "queue  /staff/queue", f"/staff/queue?department_id={rng.choice(departments)}"
        if roll < 0.75:
            return "case list  /staff/cases", "/staff/cases"
        return "case page  /staff/cases/{number}", f"/staff/cases/{rng.choice(every)}"

    return choose


def officer_chooser(numbers: list[str]) -> Chooser:
    def choose(rng: random.Random) -> tuple[str, str]:
        roll = rng.random()
        if roll < 0.35:
            return "queue  /staff/queue", "/staff/queue"
        if roll < 0.55:
            return "case list  /staff/cases", "/staff/cases"
        return "case page  /staff/cases/{number}", f"/staff/cases/{rng.choice(numbers)}"

    return choose


PAGES = [
    "inbox  /staff/inbox",
    "inbox updates  /staff/inbox/updates (poll)",
    "queue  /staff/queue",
    "case list  /staff/cases",
    "case page  /staff/cases/{number}",
]


class Churn:
    """The city going on while staff read: new citizen messages through the real intake action (a case, its
    search document and its outbox rows each), and officers starting on open cases, `rate` writes a second each.

    Without it every page reads a database that stands still, which flattens the caches, the inbox's polling
    endpoint (nothing new since the page was read) and PostgreSQL's visibility map. It runs in a process of its own,
    started and warmed up (the intake's Korean analyser) before the measured run: in a thread it would take the GIL
    from the load generator and show as page latency.
    """

    def __init__(self, url: str, org_id: int, rate: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.rate = rate
        self.ready, self.go, self.stop = context.Event(), context.Event(), context.Event()
        self.counts = context.Array("i", 3)  # intakes, updates, errors
        self.process = context.Process(
            target=_churn, args=(url, org_id, rate, self.ready, self.go, self.stop, self.counts), name="churn"
        )

    def prepare(self) -> None:
        if self.rate > 0:
            self.process.start()
            if not self.ready.wait(300):
                raise SystemExit("the churn process did not get ready")

    def __enter__(self) -> Churn:
        self.go.set()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.process.is_alive():
            self.process.join(timeout=60)

    @property
    def intakes(self) -> int:
        return int(self.counts[0])

    @property
    def updates(self) -> int:
        return int(self.counts[1])

    @property
    def errors(self) -> int:
        return int(self.counts[2])


def _churn(url: str, org_id: int, rate: float, ready: Any, go: Any, stop: Any, counts: Any) -> None:
    """The churn process: make its channel account, warm the intake up, then write at `rate` until told to stop."""
    engine = make_engine(sqlalchemy_url(url))
    factory = session_factory(engine)
    with factory() as session:
        account_id = session.scalar(
            select(ChannelAccount.id).where(ChannelAccount.org_id == org_id, ChannelAccount.handle == "churn")
        )
        if account_id is None:
            account_id = silent_facebook_page(
                session, org_id, handle="churn", page_id="churn-page", app_secret="bench-app-secret"
            )
    texts = varied_complaints(100_000, seed=int(time.time()))
    rng = random.Random()

    def take_in(n: int) -> None:
        with factory() as session:
            intake.receive_message(
                session,
                account_id=account_id,
                inbound=InboundMessage(
                    external_id=f"churn-{time.time_ns()}",
                    text=texts[n % len(texts)],
                    received_at=dt.datetime.now(dt.UTC),
                    author_handle=f"시민{rng.randint(1, 5000)}",
                ),
            )

    take_in(0)  # loads the analyser and the models: the measured run must not wait for that
    ready.set()
    go.wait()
    n = 1
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            while not stop.wait(1 / rate):
                try:
                    if n % 2:
                        take_in(n)
                        counts[0] += 1
                    else:
                        # An officer starts on an open case: its status and time change under the readers' feet.
                        conn.execute(
                            "UPDATE cases SET status = 'in_progress', updated_at = now() WHERE id = ("
                            " SELECT id FROM cases WHERE org_id = %s AND status = 'assigned'"
                            " OFFSET floor(random() * 500) LIMIT 1)",
                            (org_id,),
                        )
                        counts[1] += 1
                except Exception as exc:  # counted and shown: a benchmark must not hide its own failures
                    counts[2] += 1
                    if counts[2] <= 3:
                        console.print(f"[yellow]churn write failed: {type(exc).__name__}: {exc}[/yellow]")
                n += 1
    finally:
        engine.dispose()


async def load(
    base: str,
    staff: cases_1m.Staff,
    sessions: int,
    duration: float,
    think: float,
    url: str,
    seed: int,
    serial: float,
    churn: Churn,
) -> tuple[Samples, float, Samples, float]:
    """Log the sessions in; measure one operator session alone (`serial` s, no think time), then all of them
    while `churn` writes (new messages, officers at work)."""
    churn.prepare()
    every, by_dept = case_numbers_by_department(url, 200)
    operators = max(1, sessions // 5)
    first = await log_in(base, "operator0")
    poll = await poll_query(first)
    await first.aclose()
    plan: list[tuple[str, Chooser]] = []
    for n in range(operators):
        plan.append((f"operator{n % 2}", operator_chooser(every, staff.departments, poll)))
    for n in range(sessions - operators):
        d = n % len(staff.departments)
        numbers = by_dept.get(staff.departments[d]) or every
        plan.append((f"d{d}u{1 + (n // len(staff.departments)) % 5}", officer_chooser(numbers)))
    clients = [await log_in(base, username) for username, _ in plan]
    console.print(f"{len(clients)} sessions logged in ({operators} operators, {len(clients) - operators} officers)")
    try:
        # Warm-up (templates compiled, plans cached, connections open), paced like the measured run: without think
        # time 25 sessions per worker exceed the 15 database connections a worker's pool allows (see the report).
        await run_sessions([(c, choose) for c, (_, choose) in zip(clients, plan, strict=True)], 5, think, seed + 1)
        one, one_elapsed = await run_sessions([(clients[0], plan[0][1])], serial, 0, seed + 2)
        with churn:
            many, elapsed = await run_sessions(
                [(c, choose) for c, (_, choose) in zip(clients, plan, strict=True)], duration, think, seed
            )
        return one, one_elapsed, many, elapsed
    finally:
        for client in clients:
            await client.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases to seed (default 1,000,000)")
    parser.add_argument("--sessions", type=int, default=50, help="concurrent staff sessions (default 50)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between a session's requests")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument("--serial", type=float, default=15, help="seconds of the one-session run first (default 15)")
    parser.add_argument("--target-ms", type=float, default=150)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--churn",
        type=float,
        default=4,
        help="writes per second during the concurrent run: new citizen messages through the intake action and "
        "officers starting on cases, alternately (default 4; 0 for a database standing still)",
    )
    parser.add_argument("--reuse", action="store_true", help="measure again on the database of the last run")
    args, _ = parser.parse_known_args(argv)  # `make bench` hands every benchmark the same extra arguments
    os.environ.setdefault("SOTONG_ENV", "test")  # cheap hashing of the bench password (the server verifies any)
    # The churn's channel account is sealed with a key derived from the secret the server is given too.
    os.environ.setdefault("SOTONG_SECRET_KEY", SECRET_KEY)
    random.seed(args.seed)
    cases_1m.BENCH_DB = "sotong_bench_console"  # not cases_1m's own database: both may run on one server

    if args.reuse:
        url = os.environ.get("SOTONG_BENCH_DATABASE_URL") or f"{cases_1m.DEFAULT_SERVER}/{cases_1m.BENCH_DB}"
        staff = existing_staff(url)
    else:
        t0 = time.perf_counter()
        url = cases_1m.prepare_database()
        engine = cases_1m.make_engine(url)
        staff = cases_1m.create_staff(cases_1m.session_factory(engine))
        engine.dispose()
        figures = cases_1m.Figures()
        cases_1m.insert_cases(url, staff, args.cases, cases_1m.dt.datetime.now(cases_1m.dt.UTC), 0.005, figures)
        add_categories(url, staff.org_id, staff.departments)
        add_triage(url)
        console.print(f"seeded {args.cases:,} cases (categories, triage) in {time.perf_counter() - t0:.0f} s")
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM cases").fetchone()
        total = int(row[0]) if row else 0
        console.print(f"{total:,} cases in {url}")

    port = free_port()
    server = start_server(url, port, args.workers)
    churn = Churn(url, staff.org_id, args.churn)
    try:
        one, one_elapsed, samples, elapsed = asyncio.run(
            load(
                f"http://127.0.0.1:{port}",
                staff,
                args.sessions,
                args.duration,
                args.think,
                url,
                args.seed,
                args.serial,
                churn,
            )
        )
    finally:
        stop_server(server)
    report(
        f"staff console, one operator session alone (no think time): the cost of each page, {one_elapsed:.0f} s",
        one,
        one_elapsed,
        args.target_ms,
        PAGES,
    )
    title = (
        f"staff console: {total:,} cases, {args.sessions} sessions, think {args.think:g} s, "
        f"{args.workers} uvicorn workers, {elapsed:.0f} s; meanwhile {churn.intakes:,} new messages taken in and "
        f"{churn.updates:,} cases started ({(churn.intakes + churn.updates) / elapsed:.1f} writes/s"
        f"{f', {churn.errors} failed' if churn.errors else ''})"
    )
    report(title, samples, elapsed, args.target_ms, PAGES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
