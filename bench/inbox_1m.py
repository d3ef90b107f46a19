"""The operators' inbox (/staff/inbox) with 1,000,000 cases in PostgreSQL: query plans and server time.

    .venv/bin/python bench/inbox_1m.py                 # 1,000,000 cases (a fresh database `sotong_bench_inbox`)
    .venv/bin/python bench/inbox_1m.py --cases 50000   # a quick run
    .venv/bin/python bench/inbox_1m.py --reuse         # measure again on the database of the last run

The cases are made as in bench/cases_1m.py (COPY, one district with 20 departments), each with a stored
triage decision. Reported: EXPLAIN ANALYZE of the default view (newest first, no filter), the time of the page
query for the default view, a deep page (keyset cursor), common filters and a keyword, and the server time of
whole GET /staff/inbox and /staff/inbox/updates requests (rendering included) for a logged-in operator, run one
after another in-process. It does not load the server with concurrent sessions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cases_1m import DEFAULT_SERVER, create_staff, insert_cases
from bench.cases_1m import Figures as _Figures

from sotong import schema
from sotong.actors import Actor, Role
from sotong.cases.models import CaseStatus
from sotong.console.inbox_service import DeadlineState, InboxFilters, inbox_page, page_query
from sotong.db import make_engine, session_factory
from sotong.orgs.models import User

BENCH_DB = "sotong_bench_inbox"
PASSWORD = "bench-password-not-secret"


def prepare_database() -> str:
    url = os.environ.get("SOTONG_BENCH_DATABASE_URL") or f"{DEFAULT_SERVER}/{BENCH_DB}"
    if "SOTONG_BENCH_DATABASE_URL" not in os.environ:
        with psycopg.connect(f"{DEFAULT_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    schema.upgrade(url)
    return url


def add_triage(url: str, figures: _Figures) -> None:
    """One stored triage decision per case, as the worker leaves them (one statement, then ANALYZE)."""
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """
            INSERT INTO triage_results (org_id, case_id, relevant, relevance_probability, complaint_type,
                type_confidence, candidates, department_id, confidence, decided_by, explanation, auto_routed,
                created_at)
            SELECT org_id, id, (id % 10) <> 0, 0.9, complaint_type, 0.8,
                '[{"code": "road-damage", "category_id": null, "department_id": null, "confidence": 0.71},
                  {"code": "waste", "category_id": null, "department_id": null, "confidence": 0.2}]'::json,
                department_id, 0.71, 'model default (seed)', 'bench', department_id IS NOT NULL, received_at
            FROM cases
            """
        )
        conn.execute("VACUUM ANALYZE triage_results")
    figures.add("triage results inserted", f"{time.perf_counter() - t0:.1f} s")


def _explain(session: Session, query: Any) -> str:
    sql = str(query.compile(dialect=postgresql.psycopg.dialect(), compile_kwargs={"literal_binds": True}))
    plan = session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")).scalars().all()
    session.rollback()
    return "\n".join(plan)


def _timings(fn: Callable[[], Any], runs: int) -> list[float]:
    fn()  # warm the cache and the plan
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def bench_queries(factory: Callable[[], Session], operator: User, figures: _Figures, runs: int, cases: int) -> None:
    actor = Actor.for_user(operator)
    with factory() as session:
        now = dt.datetime.now(dt.UTC)
        plan = _explain(session, page_query(actor, InboxFilters(), now, anchor=None, limit=50))
        figures.plans.append(("inbox default view (newest 50 of the organisation)", plan))
        if "ix_cases_org_received_at" not in plan:
            figures.add("WARNING", "the default view does not use ix_cases_org_received_at")
        # A cursor deep in the table: the 20,000th newest case (400 pages of 50 down).
        deep_id = session.execute(
            text("SELECT id FROM cases ORDER BY received_at DESC, id DESC OFFSET :n LIMIT 1"),
            {"n": min(20_000, cases // 2)},
        ).scalar_one()
        views: list[tuple[str, InboxFilters, int | None]] = [
            ("page query: default view", InboxFilters(), None),
            ("page query: 400 pages deep (keyset)", InboxFilters(), deep_id),
            ("page query: status received", InboxFilters(status=CaseStatus.received), None),
            ("page query: overdue", InboxFilters(deadline=DeadlineState.overdue), None),
            ("page query: due soon", InboxFilters(deadline=DeadlineState.due_soon), None),
            ("page query: keyword (full scan)", InboxFilters(q="포트홀"), None),
        ]
        for name, filters, before in views:
            values = _timings(
                functools.partial(inbox_page, session, actor=actor, filters=filters, now=now, before_id=before), runs
            )
            figures.add(name, f"p50 {_p(values, 50):.1f} ms", f"p95 {_p(values, 95):.1f} ms over {runs} runs")
        at = session.execute(text("SELECT received_at FROM cases WHERE id = :i"), {"i": deep_id}).scalar_one()
        deep_plan = _explain(session, page_query(actor, InboxFilters(), now, anchor=(at, deep_id), limit=50))
        figures.plans.append(("inbox 400 pages deep (keyset cursor)", deep_plan))
        for state in DeadlineState:
            plan = _explain(session, page_query(actor, InboxFilters(deadline=state), now, anchor=None, limit=50))
            figures.plans.append((f"inbox deadline view: {state.value}", plan))


def bench_http(url: str, operator: User, figures: _Figures, runs: int) -> None:
    """Whole requests through the app (routing, session, queries, rendering), one after another."""
    os.environ["SOTONG_DATABASE_URL"] = url
    from fastapi.testclient import TestClient

    from sotong.app import create_app
    from sotong.settings import get_settings, reset_settings_cache

    reset_settings_cache()
    app = create_app(settings=get_settings(), engine=make_engine(url))
    with TestClient(app) as client:
        page = client.get("/staff/login").text
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/staff/login", data={"username": operator.username, "password": PASSWORD, "csrf_token": token})
        assert client.get("/staff/inbox").status_code == 200
        latest = client.get("/staff/inbox").text.split('data-latest-id="', 1)[1].split('"', 1)[0]
        ids = ",".join(str(int(latest) - i) for i in range(50))
        now = dt.datetime.now(dt.UTC).isoformat()
        for name, path in (
            ("GET /staff/inbox (default view, rendered)", "/staff/inbox"),
            ("GET /staff/inbox?status=received", "/staff/inbox?status=received"),
            (
                "GET /staff/inbox/updates (poll, nothing new)",
                f"/staff/inbox/updates?since={latest}&after={now}&ids={ids}",
            ),
        ):
            values = _timings(functools.partial(client.get, path), runs)
            figures.add(name, f"p50 {_p(values, 50):.1f} ms", f"p95 {_p(values, 95):.1f} ms over {runs} requests")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reuse", action="store_true", help="measure the database a previous run left")
    args, _ = parser.parse_known_args(argv)
    os.environ.setdefault("SOTONG_ENV", "test")
    random.seed(args.seed)
    figures = _Figures()
    if args.reuse:
        url = os.environ.get("SOTONG_BENCH_DATABASE_URL") or f"{DEFAULT_SERVER}/{BENCH_DB}"
        engine = make_engine(url)
        factory = session_factory(engine)
        with factory() as session:
            args.cases = session.execute(text("SELECT count(*) FROM cases")).scalar_one()
    else:
        url = prepare_database()
        engine = make_engine(url)
        factory = session_factory(engine)
        staff = create_staff(factory)
        insert_cases(url, staff, args.cases, dt.datetime.now(dt.UTC), 0.005, figures)
        add_triage(url, figures)
    with factory() as session:
        operator = session.query(User).filter(User.role == Role.operator).first()
        assert operator is not None
        session.expunge(operator)
    bench_queries(factory, operator, figures, args.runs, args.cases)
    bench_http(url, operator, figures, args.runs)
    engine.dispose()
    print()
    print(f"inbox with {args.cases:,} cases")
    for what, value, note in figures.rows:
        print(f"  {what:<48} {value:>16}  {note}")
    for title, plan in figures.plans:
        print(f"\n{title}:\n{plan}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
