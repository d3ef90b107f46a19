"""1,000,000 open cases in PostgreSQL: insert rate, the due-deadline sweep, and the outbox claim on a backlog.

    .venv/bin/python bench/cases_1m.py               # 1,000,000 cases (a fresh database `sotong_bench`)
    .venv/bin/python bench/cases_1m.py --cases 20000 # a quick run

The database is SOTONG_BENCH_DATABASE_URL if set (it must have no cases yet), else `sotong_bench` on
127.0.0.1:5432, dropped and recreated each run and migrated with `sotong.schema.upgrade`.

The cases look like a large city's open workload: every open status, types with their statutory periods,
deadlines spread over ±30 days around now, escalations already raised where a sweeper that kept up would
have raised them, and a small fraction (`--due-fraction`, 0.5 %) due but not yet raised, which is what a
sweep finds after a pause. The promise measured: sweeping 1M open cases takes < 1 s, because the partial
index on `next_escalation_at` hands the sweep the due rows only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from sotong import schema
from sotong.actors import CLI, Role
from sotong.cases.escalation import due_query, sweep
from sotong.cases.models import Case
from sotong.db import make_engine, session_factory
from sotong.orgs import actions as org_actions
from sotong.orgs.passwords import hash_password
from sotong.outbox.delivery import claim, claim_query, run_once
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.settings import get_settings

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
BENCH_DB = "sotong_bench"
CHUNK = 100_000
console = Console()

# Open statuses only (the sweep's workload), weighted like a busy centre's queue.
STATUSES = [
    ("received", 4),
    ("triaged", 8),
    ("assigned", 30),
    ("in_progress", 45),
    ("on_hold", 6),
    ("transferred", 4),
    ("reopened", 3),
]
TYPES = [("other", "3", "hours", 40), ("inquiry", "7", "days", 25), ("grievance", "7", "days", 20)]
TYPES += [("suggestion", "14", "days", 10), ("inquiry_law", "14", "days", 5)]
CHANNELS = [("x", 20), ("web", 35), ("kakao", 20), ("mastodon", 5), ("facebook", 10), ("sms", 10)]
TITLES = [
    "석촌호수 앞 인도 보도블럭 파손",
    "불법 주정차 단속 요청",
    "가로등 고장으로 골목이 어둡습니다",
    "음식물 쓰레기 수거가 안 됐어요",
    "공사장 소음이 너무 심합니다",
    "버스 정류장 의자 파손",
    "도로에 포트홀이 생겼습니다",
    "공원 화장실 청소 요청",
]


@dataclass
class Figures:
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    plans: list[tuple[str, str]] = field(default_factory=list)

    def add(self, what: str, value: str, note: str = "") -> None:
        self.rows.append((what, value, note))
        console.print(f"  {what}: [bold]{value}[/bold] {note}")


@dataclass
class Staff:
    org_id: int
    departments: list[int]
    officers: dict[int, list[int]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000, help="open cases to create (default 1,000,000)")
    parser.add_argument("--due-fraction", type=float, default=0.005, help="share due but not yet escalated")
    parser.add_argument("--outbox", type=int, default=1_000_000, help="outbox rows (20%% of them a due backlog)")
    parser.add_argument("--seed", type=int, default=2026)
    args, _ = parser.parse_known_args(argv)  # `make bench` hands every benchmark the same extra arguments
    os.environ.setdefault("SOTONG_ENV", "test")  # cheap password hashing for the bench personas
    random.seed(args.seed)
    figures = Figures()

    url = prepare_database()
    engine = make_engine(url)
    factory = session_factory(engine)
    staff = create_staff(factory)
    now = dt.datetime.now(dt.UTC)

    console.rule(f"[bold]Inserting {args.cases:,} open cases")
    insert_cases(url, staff, args.cases, now, args.due_fraction, figures)
    console.rule("[bold]Escalation sweep")
    bench_sweep(factory, figures, args.cases)
    console.rule(f"[bold]Outbox claim on a backlog ({args.outbox:,} rows)")
    bench_outbox(url, factory, staff, args.outbox, figures)
    engine.dispose()
    report(figures, args.cases)
    return 0


def prepare_database() -> str:
    """A migrated, empty database for the bench."""
    url = os.environ.get("SOTONG_BENCH_DATABASE_URL")
    if url is None:
        url = f"{DEFAULT_SERVER}/{BENCH_DB}"
        with psycopg.connect(f"{DEFAULT_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    console.print(f"database: {url}")
    schema.upgrade(url)
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM cases").fetchone()
        if row and row[0]:
            raise SystemExit(f"{url} already has {row[0]:,} cases; point SOTONG_BENCH_DATABASE_URL at an empty one")
    return url


def create_staff(factory: Callable[[], Session]) -> Staff:
    """One district with 20 departments (a manager and 5 officers each) and two centre operators."""
    password_hash = hash_password("bench-password-not-secret")
    with factory() as session:
        org = org_actions.create_organisation(session, actor=CLI, slug="bench", name="벤치구", short_name="벤치")
        for n in range(2):
            org_actions.create_user(
                session,
                actor=CLI,
                org_id=org.id,
                username=f"operator{n}",
                password_hash=password_hash,
                role=Role.operator,
                display_name=f"운영자{n}",
            )
        departments, officers = [], {}
        for d in range(20):
            dept = org_actions.create_department(session, actor=CLI, org_id=org.id, name=f"벤치{d}과")
            departments.append(dept.id)
            officers[dept.id] = []
            for n in range(6):
                user = org_actions.create_user(
                    session,
                    actor=CLI,
                    org_id=org.id,
                    username=f"d{d}u{n}",
                    password_hash=password_hash,
                    role=Role.dept_manager if n == 0 else Role.officer,
                    department_id=dept.id,
                    display_name=f"직원{d}-{n}",
                )
                if n:
                    officers[dept.id].append(user.id)
        return Staff(org_id=org.id, departments=departments, officers=officers)


def _weighted(choices: list[Any]) -> Callable[[], Any]:
    population, weights = [c[:-1] for c in choices], [c[-1] for c in choices]
    cumulative = list(_accumulate(weights))

    def pick() -> Any:
        return random.choices(population, cum_weights=cumulative)[0]

    return pick


def _accumulate(values: list[int]) -> Iterator[int]:
    total = 0
    for value in values:
        total += value
        yield total


CASE_COLUMNS = (
    "org_id, number, status, complaint_type, department_id, officer_id, channel, contact, title, body, public_text, "
    "is_public, is_whistleblower, received_at, clock_started_at, period_value, period_unit, due_at, original_due_at, "
    "escalation_level, next_escalation_at, created_at, updated_at"
)


def case_lines(staff: Staff, start: int, count: int, now: dt.datetime, due_fraction: float) -> bytes:
    """`count` cases in COPY text format."""
    pick_status, pick_type, pick_channel = _weighted(STATUSES), _weighted(TYPES), _weighted(CHANNELS)
    warning = dt.timedelta(minutes=get_settings().escalation_warning_minutes)
    month = 30 * 86400
    out = []
    for i in range(start, start + count):
        (status,), (ctype, period, unit), (channel,) = pick_status(), pick_type(), pick_channel()
        department = officer = "\\N"
        if status != "received":
            dept = random.choice(staff.departments)
            department = str(dept)
            if status in ("assigned", "in_progress", "on_hold", "reopened"):
                officer = str(random.choice(staff.officers[dept]))
        if random.random() < due_fraction:
            # Due but not raised yet: what a sweep finds after the worker paused for a few minutes.
            next_at = now - dt.timedelta(seconds=random.uniform(0, 1800))
            level = random.choice((0, 1))
            due = next_at + warning if level == 0 else next_at
        else:
            due = now + dt.timedelta(seconds=random.uniform(-month, month))
            # Where a sweeper that kept up left it.
            if due <= now:
                level, next_at = 2, None
            elif due - warning <= now:
                level, next_at = 1, due
            else:
                level, next_at = 0, due - warning
        received = due - dt.timedelta(days=int(period) * (1.4 if unit == "days" else 0.1))
        title = random.choice(TITLES)
        next_text = next_at.isoformat() if next_at else "\\N"
        out.append(
            f"{staff.org_id}\t2026-벤치-{i:07d}\t{status}\t{ctype}\t{department}\t{officer}\t{channel}\t{{}}\t"
            f"{title}\t{title}. 확인 부탁드립니다.\t{title}\tt\tf\t{received.isoformat()}\t{received.isoformat()}\t"
            f"{period}\t{unit}\t{due.isoformat()}\t{due.isoformat()}\t{level}\t{next_text}\t"
            f"{received.isoformat()}\t{received.isoformat()}\n"
        )
    return "".join(out).encode()


def insert_cases(url: str, staff: Staff, total: int, now: dt.datetime, due_fraction: float, figures: Figures) -> None:
    """COPY the cases in chunks; time generation and the COPY separately."""
    generating = copying = 0.0
    with psycopg.connect(url) as conn, Progress(console=console, transient=True) as progress:
        task = progress.add_task("COPY cases", total=total)
        for start in range(0, total, CHUNK):
            count = min(CHUNK, total - start)
            t0 = time.perf_counter()
            data = case_lines(staff, start + 1, count, now, due_fraction)
            t1 = time.perf_counter()
            with conn.cursor() as cur, cur.copy(f"COPY cases ({CASE_COLUMNS}) FROM STDIN") as copy:
                copy.write(data)
            conn.commit()
            t2 = time.perf_counter()
            generating += t1 - t0
            copying += t2 - t1
            progress.advance(task, count)
    with psycopg.connect(url, autocommit=True) as conn:
        t0 = time.perf_counter()
        conn.execute("VACUUM ANALYZE cases")
        due = conn.execute("SELECT count(*) FROM cases WHERE next_escalation_at <= now()").fetchone()
        pending = conn.execute("SELECT count(*) FROM cases WHERE next_escalation_at IS NOT NULL").fetchone()
    analyse = time.perf_counter() - t0
    figures.add("cases inserted", f"{total:,}", "all open (received … reopened), 8 indexes maintained")
    figures.add("insert rate (COPY, indexes maintained)", f"{total / copying:,.0f} rows/s", f"{copying:.1f} s")
    figures.add("insert rate (incl. generating rows)", f"{total / (copying + generating):,.0f} rows/s")
    figures.add("VACUUM ANALYZE", f"{analyse:.1f} s")
    figures.add("cases with a pending escalation", f"{pending[0] if pending else 0:,}", "(rows in the partial index)")
    figures.add("cases due at sweep time", f"{due[0] if due else 0:,}")


def _explain(session: Session, query: Any) -> str:
    sql = str(query.compile(dialect=postgresql.psycopg.dialect(), compile_kwargs={"literal_binds": True}))
    plan = session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")).scalars().all()
    session.rollback()  # EXPLAIN ANALYZE took the row locks: let them go
    return "\n".join(plan)


def _median_ms(fn: Callable[[], Any], runs: int = 7) -> tuple[float, Any]:
    timings, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        timings.append((time.perf_counter() - t0) * 1000)
    return statistics.median(timings), result


def bench_sweep(factory: Callable[[], Session], figures: Figures, cases: int) -> None:
    """Find/claim time, EXPLAIN ANALYZE, processing of the due cases, and the steady-state sweep."""
    with factory() as session:
        now = dt.datetime.now(dt.UTC)
        plan = _explain(session, due_query(now, limit=1000, postgresql=True))
        figures.plans.append(("escalation claim (1,000 due rows, FOR UPDATE SKIP LOCKED)", plan))
        if "ix_cases_next_escalation_at" not in plan:
            console.print("[bold red]the sweep does not use ix_cases_next_escalation_at![/]")

        def find() -> int:
            rows = session.execute(due_query(now, limit=1000, postgresql=True)).all()
            session.rollback()
            return len(rows)

        ms, found = _median_ms(find)
        figures.add("sweep: find + lock due cases", f"{ms:.1f} ms", f"{found:,} rows (batch limit 1,000), median of 7")

        t0 = time.perf_counter()
        first = sweep(session, now=now)
        first_s = time.perf_counter() - t0
        figures.add(
            f"sweep(): first call, {cases:,} open cases", f"{first_s * 1000:.0f} ms", f"{first:,} escalations raised"
        )
        total, t0 = first, time.perf_counter()
        while raised := sweep(session, now=now):
            total += raised
        rest_s = time.perf_counter() - t0
        all_s = first_s + rest_s
        escalated = session.scalar(select(func.count()).where(Case.next_escalation_at <= now))
        figures.add(
            "sweep(): all due cases processed",
            f"{all_s:.2f} s",
            f"{total:,} escalations ({total / all_s:,.0f}/s: audit event + notification each); {escalated} left due",
        )
        ms, nothing = _median_ms(lambda: sweep(session, now=now))
        figures.add(f"sweep(): steady state, {cases:,} open cases", f"{ms:.1f} ms", f"nothing due ({nothing} raised)")


OUTBOX_COLUMNS = (
    "org_id, kind, transport, recipient, payload, idempotency_key, status, attempts, next_attempt_at, created_at, "
    "sent_at"
)


def outbox_lines(org_id: int, start: int, count: int, now: dt.datetime) -> bytes:
    """History (sent, a few failed) and a due backlog (pending), in COPY text format."""
    out = []
    for i in range(start, start + count):
        roll = random.random()
        at = now - dt.timedelta(seconds=random.uniform(0, 30 * 86400))
        if roll < 0.2:
            status, sent = "pending", "\\N"
            at = now - dt.timedelta(seconds=random.uniform(0, 3600))
        elif roll < 0.21:
            status, sent = "failed", "\\N"
        else:
            status, sent = "sent", at.isoformat()
        out.append(
            f'{org_id}\tnotify\tweb\t@citizen{i % 5000}\t{{"n": {i}}}\tbench:{i}\t{status}\t1\t'
            f"{at.isoformat()}\t{at.isoformat()}\t{sent}\n"
        )
    return "".join(out).encode()


def bench_outbox(url: str, factory: Callable[[], Session], staff: Staff, total: int, figures: Figures) -> None:
    """Claim latency on a large backlog, its plan, and one worker's delivery rate."""
    now = dt.datetime.now(dt.UTC)
    with psycopg.connect(url) as conn:
        for start in range(0, total, CHUNK):
            data = outbox_lines(staff.org_id, start + 1, min(CHUNK, total - start), now)
            with conn.cursor() as cur, cur.copy(f"COPY outbox ({OUTBOX_COLUMNS}) FROM STDIN") as copy:
                copy.write(data)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE outbox")
    with factory() as session:
        backlog = session.scalar(select(func.count()).where(OutboxItem.status == OutboxStatus.pending))
        figures.add("outbox rows / due backlog", f"{total:,} / {backlog:,}")
        plan = _explain(session, claim_query(now, batch=20, postgresql=True))
        figures.plans.append(("outbox claim (batch of 20, FOR UPDATE SKIP LOCKED)", plan))
        ms, claimed = _median_ms(lambda: claim(session, worker_id="bench", now=now, batch=20))
        figures.add("outbox: claim a batch of 20 (commit included)", f"{ms:.1f} ms", f"{len(claimed)} items, median")
        factory_ = session_factory(session.get_bind())  # type: ignore[arg-type]
        t0, delivered = time.perf_counter(), 0
        while delivered < 2000:
            done = run_once(factory_, worker_id="bench", batch=100)
            if not done:  # a small run's backlog is used up before 2,000
                break
            delivered += done
        elapsed = time.perf_counter() - t0
        figures.add("outbox: one worker delivering (web transport)", f"{delivered / elapsed:,.0f} items/s")


def report(figures: Figures, cases: int) -> None:
    table = Table(title=f"Sotong bench: {cases:,} open cases on PostgreSQL", show_lines=False)
    table.add_column("measure")
    table.add_column("figure", justify="right", style="bold")
    table.add_column("note")
    for row in figures.rows:
        table.add_row(*row)
    for title, plan in figures.plans:
        console.rule(f"EXPLAIN ANALYZE: {title}")
        console.print(plan, highlight=False, markup=False)
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
