"""The public list and Korean search on many public cases in PostgreSQL: one query's latency, serially.

    .venv/bin/python bench/portal_list_search.py                  # 1,000,000 cases (database `sotong_bench_portal`)
    .venv/bin/python bench/portal_list_search.py --cases 100000   # a quicker run

Cases are COPYed (90 % public, 5 % private, 5 % 공익신고) over a year, from complaint sentences about 60
topics in 25 places; each distinct text is analysed once by kiwipiepy and its search document COPYed too, as
`sotong search reindex` would write it. Measured: `portal.service.list_cases` (the ORM query the page runs,
count capped at 1,001 included) for the first page, a page deep in the keyset, filters, and searches for a
common word (가로등, ~1 in 30 cases), a rarer one and two words. This is the database side of the page, on
whatever else is running on the machine; it is not the 200-client HTTP load test of the issue.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
from collections.abc import Callable

import psycopg
from rich.console import Console
from rich.table import Table

from sotong import schema
from sotong.actors import CLI
from sotong.db import make_engine, session_factory
from sotong.orgs import actions as org_actions
from sotong.portal import service
from sotong.portal.service import ChannelGroup, Cursor, PublicFilters, PublicStatus
from sotong.search.analysis import document

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
BENCH_DB = "sotong_bench_portal"
CHUNK = 100_000
console = Console()

PLACES = [
    f"{name}{suffix}"
    for name in ("석촌", "잠실", "가락", "문정", "방이")
    for suffix in ("동", "역", "공원", "시장", "초교")
]
TOPICS = [
    "가로등이 꺼져 있어요",
    "보도블럭이 깨졌습니다",
    "불법주차 차량이 많아요",
    "쓰레기가 무단 투기되어 있어요",
    "도로에 포트홀이 생겼어요",
    "신호등이 고장났어요",
    "공원 벤치가 부서졌어요",
    "하수구 냄새가 심해요",
    "소음이 너무 심합니다",
    "현수막이 불법으로 걸려 있어요",
    "횡단보도 도색이 지워졌어요",
    "버스 정류장 의자가 없어요",
    "놀이터 시설이 위험해요",
    "나무가 쓰러져 있어요",
    "빗물받이가 막혔어요",
    "자전거 도로에 장애물이 있어요",
    "공사장 먼지가 날려요",
    "노점상 때문에 통행이 어려워요",
    "담배 연기 민원입니다",
    "길고양이 급식소 문제",
] + [f"기타 생활 불편 {n}번 유형 민원입니다" for n in range(40)]
CHANNELS = ["x", "facebook", "mastodon", "kakao", "web", "email", "sms", "phone"]
STATUSES = ["received", "triaged", "assigned", "in_progress", "answered", "answered", "closed", "closed"]


def prepare_database() -> str:
    """A migrated, empty database for the bench (dropped and recreated)."""
    url = os.environ.get("SOTONG_BENCH_DATABASE_URL", f"{DEFAULT_SERVER}/{BENCH_DB}")
    if "SOTONG_BENCH_DATABASE_URL" not in os.environ:
        with psycopg.connect(f"{DEFAULT_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    schema.upgrade(url)
    return url


def load(url: str, total: int) -> tuple[int, list[int]]:
    """COPY `total` cases and their search documents; returns the organisation id and the department ids."""
    engine = make_engine(url)
    with session_factory(engine)() as session:
        org = org_actions.create_organisation(session, actor=CLI, slug="bench", name="벤치구", short_name="벤치")
        departments = [
            org_actions.create_department(session, actor=CLI, org_id=org.id, name=f"벤치{d}과").id for d in range(20)
        ]
        org_id = org.id
    engine.dispose()
    texts = [f"{place} {topic}" for place in PLACES for topic in TOPICS]
    started = time.perf_counter()
    docs = {text: document([text]) for text in texts}
    console.print(f"{len(texts)} distinct texts analysed in {time.perf_counter() - started:.1f} s")
    now = dt.datetime.now(dt.UTC)
    year = 365 * 86400
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TEMP TABLE bench_terms (text text PRIMARY KEY, terms text)")
        with conn.cursor() as cur, cur.copy("COPY bench_terms (text, terms) FROM STDIN") as copy:
            for text, terms in docs.items():
                copy.write_row((text, terms))
        columns = (
            "org_id, number, status, complaint_type, department_id, channel, contact, title, body, public_text, "
            "is_public, is_whistleblower, received_at, clock_started_at, period_value, period_unit, due_at, "
            "escalation_level, created_at, updated_at"
        )
        for start in range(0, total, CHUNK):
            with conn.cursor() as cur, cur.copy(f"COPY cases ({columns}) FROM STDIN") as copy:
                for i in range(start, min(start + CHUNK, total)):
                    text = random.choice(texts)
                    received = now - dt.timedelta(seconds=random.uniform(0, year))
                    roll = random.random()
                    status = random.choice(STATUSES)
                    copy.write_row(
                        (
                            org_id,
                            f"2026-벤치-{i:07d}",
                            status,
                            "grievance",
                            None if status == "received" else random.choice(departments),
                            random.choice(CHANNELS),
                            "{}",
                            text,
                            text,
                            text,
                            roll >= 0.05,
                            0.05 <= roll < 0.10,
                            received,
                            received,
                            7,
                            "days",
                            received + dt.timedelta(days=9),
                            0,
                            received,
                            received,
                        )
                    )
            conn.commit()
            console.print(f"  {min(start + CHUNK, total):,} cases")
        conn.execute(
            "INSERT INTO case_search_docs (case_id, terms, received_at, updated_at) "
            "SELECT c.id, t.terms, c.received_at, now() FROM cases c "
            "JOIN bench_terms t ON t.text = c.public_text WHERE c.is_public AND NOT c.is_whistleblower"
        )
        conn.commit()
        conn.execute("ANALYZE")
        conn.commit()
    console.print(f"loaded {total:,} cases and their search documents in {time.perf_counter() - started:.0f} s")
    return org_id, departments


def measure(url: str, departments: list[int], runs: int) -> Table:
    """p50/p95 of each page query, run `runs` times after one warm-up."""
    engine = make_engine(url)
    factory = session_factory(engine)
    with factory() as session:
        middle = service.list_cases(session, filters=PublicFilters(), page_size=1).items[0]
        # A cursor about half-way down the list (by time).
        deep_at = middle.received_at - dt.timedelta(days=180)
    deep = Cursor(received_at=deep_at, case_id=2**62)
    cases: dict[str, Callable[[], object]] = {}

    def page(filters: PublicFilters, after: Cursor | None = None) -> Callable[[], object]:
        def run() -> object:
            with factory() as session:
                return service.list_cases(session, filters=filters, after=after)

        return run

    cases["list, first page"] = page(PublicFilters())
    cases["list, page 6 months deep (keyset)"] = page(PublicFilters(), deep)
    cases["filter channel=web"] = page(PublicFilters(channel_group=ChannelGroup.web))
    cases["filter department"] = page(PublicFilters(department_id=departments[3]))
    cases["filter status=answered + channel=sns"] = page(
        PublicFilters(status=PublicStatus.answered, channel_group=ChannelGroup.sns)
    )
    cases["search 가로등 (common)"] = page(PublicFilters(q="가로등"))
    cases["search 가로등이 석촌공원 (two words)"] = page(PublicFilters(q="가로등이 석촌공원"))
    cases["search 급식소 (rarer)"] = page(PublicFilters(q="길고양이 급식소"))
    cases["search 가로등, page 6 months deep"] = page(PublicFilters(q="가로등"), deep)
    table = Table(title="portal page queries (ms)")
    for column in ("query", "p50", "p95", "max"):
        table.add_column(column)
    for name, run in cases.items():
        run()
        timings = []
        for _ in range(runs):
            t0 = time.perf_counter()
            run()
            timings.append((time.perf_counter() - t0) * 1000)
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
        table.add_row(name, f"{statistics.median(timings):.1f}", f"{p95:.1f}", f"{timings[-1]:.1f}")
    engine.dispose()
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40)
    args, _ = parser.parse_known_args()
    random.seed(20261122)
    url = prepare_database()
    _, departments = load(url, args.cases)
    console.print(measure(url, departments, args.runs))


if __name__ == "__main__":
    main()
