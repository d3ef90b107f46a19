"""The department queue's conditions match the partial indexes on open cases: PostgreSQL proves the index
applies only when the query names the same statuses as the index predicate, as literals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, Select, select, text
from sqlalchemy.dialects import postgresql

from sotong.cases.models import OPEN_STATUS_SQL, Case
from sotong.cases.service import is_open
from sotong.cases.status import OPEN_STATUSES
from sotong.db import make_engine


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    # The plans below are those of an empty table. Tests before this one on the same database emptied it with
    # DELETE (tests/conftest.py), which leaves its pages and statistics behind and can tip the planner to another
    # index; TRUNCATE gives back the empty table.
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE cases CASCADE"))
    yield engine
    engine.dispose()


def test_the_index_predicate_names_every_open_status() -> None:
    listed = OPEN_STATUS_SQL.removeprefix("status IN (").removesuffix(")")
    assert sorted(v.strip().strip("'") for v in listed.split(",")) == sorted(s.value for s in OPEN_STATUSES)


def _plan(engine: Engine, query: Select[tuple[int]]) -> str:
    sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))  # the empty test table: force the choice among indexes
        conn.execute(text("SET enable_bitmapscan = off"))
        return "\n".join(row[0] for row in conn.execute(text(f"EXPLAIN {sql}")))


@pytest.mark.parametrize(
    ("condition", "index"),
    [
        ((Case.org_id == 1, Case.department_id == 2), "ix_cases_dept_open_due"),
        ((Case.org_id == 1, Case.department_id == 2, Case.officer_id.is_(None)), "ix_cases_dept_unassigned_due"),
        ((Case.officer_id == 3,), "ix_cases_officer_open_due"),
    ],
)
def test_queue_queries_use_the_partial_indexes(pg_engine: Engine, condition: tuple[object, ...], index: str) -> None:
    query = select(Case.id).where(*condition, is_open()).order_by(Case.due_at, Case.id).limit(50)
    assert index in _plan(pg_engine, query)  # type: ignore[arg-type]
