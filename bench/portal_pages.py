"""Public portal pages under 200 concurrent anonymous clients, with 1,000,000 public cases in PostgreSQL, over HTTP.

    .venv/bin/python bench/portal_pages.py                 # 1,000,000 cases (database `sotong_bench_portal_pages`)
    .venv/bin/python bench/portal_pages.py --cases 20000   # a quick run
    .venv/bin/python bench/portal_pages.py --reuse         # measure the database seeded by an earlier run again

Seeding: bench/cases_1m.py COPYs the cases (all public, none 공익신고, 8 complaint titles, 20 departments), then
set-based statements here give each case its title's category, spread `received_at` evenly over the past year,
turn 55 % of them answered (25 %) or closed (30 %) with first-reply and answer times, write one public answer
per answered/closed case, and fill the search index: each distinct (public text, answer) pair — 16 of them — is
analysed once by `sotong.search.analysis.document`, the very function `sotong search reindex` applies per case,
and the documents are INSERTed with one INSERT … SELECT joining the cases to those 16 analyses. So every public
case has exactly the document reindexing would write, without analysing 1,000,000 texts one by one.

Load: uvicorn as a subprocess (`--workers`, production settings, its per-process stats cache), `--clients`
anonymous clients (200), each with its own connection and cookies, each looping for `--duration` seconds:
request a page, wait a random think time (exponential, mean `--think` s). Pages: the list `/`, a search
`/?q=가로등` (1 case in 8 matches), a filtered list `/?channel=sns&status=answered`, a case page
`/cases/{number}` of a random case and the statistics page `/stats`. Reported per page: requests, req/s,
p50/p95/p99 of the client-side latency, first for one client alone (`--serial` s, no think time:
what each page costs unloaded), then for the concurrent run (the load generator shares the machine's 2 cores
with the server).
Target (issue 5): p95 < 100 ms at 200 clients on 2 cores (caching allowed; stats at most 60 s stale).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

sys.path.insert(0, str(Path(__file__).parent))

import cases_1m  # bench/ is not a package: found through the path set just above
from _support import free_port, server_cpu_seconds
from console_pages import (
    Chooser,
    Samples,
    add_categories,
    console,
    report,
    start_server,
    stop_server,
)
from sotong import schema
from sotong.search.analysis import document

ANSWER = "{title} 건은 담당 부서가 현장을 확인하고 조치를 마쳤습니다. 불편을 드려 죄송합니다."


def enrich(url: str) -> None:
    """A year of public history: received times spread, 55 % answered or closed with an answer, then ANALYZE."""
    with psycopg.connect(url) as conn:
        conn.execute(
            """
            UPDATE cases c SET
                received_at = x.r, created_at = x.r, clock_started_at = x.r,
                due_at = x.r + interval '9 days', original_due_at = x.r + interval '9 days',
                status = CASE WHEN x.s < 0.25 THEN 'answered' WHEN x.s < 0.55 THEN 'closed' ELSE c.status END,
                first_responded_at = CASE WHEN x.s < 0.55 THEN x.r + x.s * interval '2 days' END,
                answered_at = CASE WHEN x.s < 0.55 THEN x.r + x.s * interval '20 days' END,
                escalation_level = CASE WHEN x.s < 0.55 THEN 0 ELSE c.escalation_level END,
                next_escalation_at = CASE WHEN x.s < 0.55 THEN NULL ELSE c.next_escalation_at END,
                updated_at = x.r
            FROM (SELECT id, now() - random() * interval '365 days' AS r, random() AS s FROM cases) x
            WHERE x.id = c.id
            """
        )
        conn.execute(
            "INSERT INTO answers (org_id, case_id, body, public_body, created_at) "
            "SELECT org_id, id, replace(%(answer)s, '{title}', title), replace(%(answer)s, '{title}', title), "
            "answered_at FROM cases WHERE status IN ('answered', 'closed')",
            {"answer": ANSWER},
        )
        conn.commit()


def fill_search_index(url: str) -> int:
    """Every public case's search document, as `sotong search reindex` writes it (see the module docstring)."""
    texts = list(cases_1m.TITLES)
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TEMP TABLE bench_terms (text text, answered boolean, terms text)")
        with conn.cursor() as cur, cur.copy("COPY bench_terms (text, answered, terms) FROM STDIN") as copy:
            for text in texts:
                copy.write_row((text, False, document([text])))
                copy.write_row((text, True, document([text, ANSWER.replace("{title}", text)])))
        conn.execute(
            "INSERT INTO case_search_docs (case_id, terms, received_at, updated_at) "
            "SELECT c.id, t.terms, c.received_at, now() FROM cases c JOIN bench_terms t "
            "ON t.text = c.public_text AND t.answered = (c.status IN ('answered', 'closed')) "
            "WHERE c.is_public AND NOT c.is_whistleblower AND c.status <> 'rejected'"
        )
        row = conn.execute("SELECT count(*) FROM case_search_docs").fetchone()
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return int(row[0]) if row else 0


def check_documents(url: str, sample: int = 50) -> None:
    """The set-based documents equal what the write path's `reindex` computes, on a sample of cases."""
    from sqlalchemy import select

    from sotong.search.index import reindex
    from sotong.search.models import CaseSearchDoc

    engine = cases_1m.make_engine(url)
    with engine.connect() as conn:
        ids = [
            r[0] for r in conn.exec_driver_sql(f"SELECT case_id FROM case_search_docs ORDER BY random() LIMIT {sample}")
        ]
        before = dict(
            conn.execute(select(CaseSearchDoc.case_id, CaseSearchDoc.terms).where(CaseSearchDoc.case_id.in_(ids))).all()
        )
        reindex(conn, ids)
        after = dict(
            conn.execute(select(CaseSearchDoc.case_id, CaseSearchDoc.terms).where(CaseSearchDoc.case_id.in_(ids))).all()
        )
        conn.rollback()  # a check only
    engine.dispose()
    if before != after:
        raise SystemExit("the seeded search documents differ from what reindex writes")
    console.print(f"search documents of {len(ids)} random cases checked against sotong.search.index.reindex: equal")


PAGES = [
    "list  /",
    "search  /?q=가로등",
    "filtered  /?channel=sns&status=answered",
    "case page  /cases/{number}",
    "stats  /stats",
]


# --search-misses: words of the seeded titles, each search made unique so the page cache never answers it.
SEARCH_WORDS = [
    "가로등",
    "보도블럭",
    "주정차",
    "쓰레기",
    "소음",
    "정류장",
    "포트홀",
    "화장실",
    "가로등 고장",
    "공원 청소",
]


def chooser(numbers: list[str], *, search_misses: bool = False) -> Chooser:
    def choose(rng: random.Random) -> tuple[str, str]:
        roll = rng.random()
        if roll < 0.25:
            return PAGES[0], "/"
        if roll < 0.45 and search_misses:
            # The worst case for searches: an unknown parameter makes the cache key unique; the view ignores it.
            return PAGES[1], f"/?q={rng.choice(SEARCH_WORDS)}&miss={rng.getrandbits(48)}"
        if roll < 0.45:
            return PAGES[1], "/?q=가로등"
        if roll < 0.60:
            return PAGES[2], "/?channel=sns&status=answered"
        if roll < 0.90:
            return PAGES[3], f"/cases/{rng.choice(numbers)}"
        return PAGES[4], "/stats"

    return choose


@dataclass
class LeanResponse:
    status_code: int
    headers: dict[str, str]


class LeanClient:
    """One keep-alive HTTP/1.1 connection that GETs a page and reads its Content-Length body, and nothing more.

    httpx spends more CPU on a request than the server spends answering a page from its cache; on two cores
    shared by both, that cost would show up as the server's latency (bench/_support.KeepAlive does the same for
    POSTs). No cookies: the portal sets none for anonymous readers.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> LeanResponse:
        request = f"GET {quote(path, safe='/?=&%')} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode()
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(request)
        status_line, _, rest = (await self._reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
        headers = {}
        for line in rest.split(b"\r\n"):
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode()] = value.strip().decode()
        if "transfer-encoding" in headers:
            raise RuntimeError("chunked responses are not spoken by this bench client")
        await self._reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.aclose()
        return LeanResponse(int(status_line.split()[1]), headers)

    async def aclose(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None


async def run_lean(
    clients: list[LeanClient], choose: Chooser, duration: float, think: float, seed: int
) -> tuple[Samples, float]:
    """`console_pages.run_sessions` with the lean client: each client loops request → think until `duration`."""
    samples = Samples()
    stop_at = time.perf_counter() + duration

    async def session(n: int, client: LeanClient) -> None:
        rng = random.Random(seed * 1000 + n)
        if think:
            await asyncio.sleep(rng.uniform(0, think))  # stagger the start
        while time.perf_counter() < stop_at:
            page, path = choose(rng)
            started = time.perf_counter()
            try:
                response: Any = await client.get(path)
            except (OSError, asyncio.IncompleteReadError, RuntimeError) as exc:  # counted, with its latency
                response = exc
                await client.aclose()
            samples.add(page, time.perf_counter() - started, response)
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))

    started = time.perf_counter()
    await asyncio.gather(*(session(n, c) for n, c in enumerate(clients)))
    return samples, time.perf_counter() - started


async def load(
    port: int,
    clients: int,
    duration: float,
    think: float,
    numbers: list[str],
    seed: int,
    serial: float,
    server: subprocess.Popen[bytes],
    search_misses: bool = False,
) -> tuple[Samples, float, Samples, float, float]:
    """The per-request cost (one client, no think time, `serial` s), then the concurrent run; and the server's
    CPU seconds during the concurrent run."""
    pool = [LeanClient("127.0.0.1", port) for _ in range(clients)]
    choose = chooser(numbers, search_misses=search_misses)
    try:
        # Warm-up, one client after another: templates compiled, plans and the stats cache warm.
        for client in pool[:10]:
            for page in ("/", "/?q=가로등", "/?channel=sns&status=answered", "/stats", f"/cases/{numbers[0]}"):
                await client.get(page)
        one, one_elapsed = await run_lean(pool[:1], choose, serial, 0, seed + 2)
        cpu_before = server_cpu_seconds(server)
        many, elapsed = await run_lean(pool, choose, duration, think, seed)
        return one, one_elapsed, many, elapsed, server_cpu_seconds(server) - cpu_before
    finally:
        for client in pool:
            await client.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000, help="public cases to seed (default 1,000,000)")
    parser.add_argument("--clients", type=int, default=200, help="concurrent anonymous clients (default 200)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between a client's requests")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    parser.add_argument("--serial", type=float, default=15, help="seconds of the one-client run first (default 15)")
    parser.add_argument("--target-ms", type=float, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--search-misses",
        action="store_true",
        help="every search a different query the page cache has not seen (10 words, a unique extra parameter)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure the database an earlier run seeded (migrated to the newest schema) instead of seeding anew",
    )
    args, _ = parser.parse_known_args(argv)  # `make bench` hands every benchmark the same extra arguments
    os.environ.setdefault("SOTONG_ENV", "test")  # cheap hashing of the bench staff's password
    random.seed(args.seed)
    cases_1m.BENCH_DB = "sotong_bench_portal_pages"

    if args.reuse:
        url = os.environ.get("SOTONG_BENCH_DATABASE_URL") or f"{cases_1m.DEFAULT_SERVER}/{cases_1m.BENCH_DB}"
        schema.upgrade(url)  # migrations added since the seeding run (new indexes) apply to the kept data
    else:
        t0 = time.perf_counter()
        url = cases_1m.prepare_database()
        engine = cases_1m.make_engine(url)
        staff = cases_1m.create_staff(cases_1m.session_factory(engine))
        engine.dispose()
        cases_1m.insert_cases(url, staff, args.cases, dt.datetime.now(dt.UTC), 0.005, cases_1m.Figures())
        t1 = time.perf_counter()
        add_categories(url, staff.org_id, staff.departments)
        enrich(url)
        t2 = time.perf_counter()
        docs = fill_search_index(url)
        t3 = time.perf_counter()
        console.print(
            f"seeded {args.cases:,} public cases: COPY {t1 - t0:.0f} s, categories/history/answers {t2 - t1:.0f} s, "
            f"{docs:,} search documents + VACUUM ANALYZE {t3 - t2:.0f} s"
        )
        check_documents(url)
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM cases WHERE is_public").fetchone()
        console.print(f"{row[0] if row else 0:,} public cases in {url}")
    with psycopg.connect(url) as conn:
        numbers = [r[0] for r in conn.execute("SELECT number FROM cases ORDER BY random() LIMIT 5000")]

    port = free_port()
    server = start_server(url, port, args.workers)
    try:
        one, one_elapsed, samples, elapsed, server_cpu = asyncio.run(
            load(
                port,
                args.clients,
                args.duration,
                args.think,
                numbers,
                args.seed,
                args.serial,
                server,
                args.search_misses,
            )
        )
    finally:
        stop_server(server)
    report(
        f"public portal, one client after another (no think time): the cost of each page, {one_elapsed:.0f} s",
        one,
        one_elapsed,
        args.target_ms,
        PAGES,
    )
    title = (
        f"public portal: {args.cases:,} public cases, {args.clients} anonymous clients, think {args.think:g} s, "
        f"{args.workers} uvicorn workers, {elapsed:.0f} s"
    )
    report(title, samples, elapsed, args.target_ms, PAGES)
    served = sum(len(v) for v in samples.latencies.values())
    console.print(
        f"server CPU during the concurrent run: {server_cpu:.1f} s for {served:,} requests "
        f"({server_cpu / max(served, 1) * 1000:.2f} ms a request, {server_cpu / elapsed:.2f} of the 2 cores); "
        f"load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
