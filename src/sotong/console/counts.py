"""Counting for the console's headings and pagers without reading a million rows.

An exact `count(*)` over a department's or an organisation's open cases reads every matching index entry (tens
of thousands per department, a million for the desk), on every page view. Nobody reads "48,079" differently
from "1,000+": each count here stops at `limit + 1` rows (`SELECT count(*) FROM (SELECT 1 ... LIMIT n)`), and
several counts share one round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import Session

COUNT_LIMIT = 1000


@dataclass(frozen=True)
class Count:
    """A count that stopped at `limit`: `capped` when there are more. Prints as "1,234" or "1,000+"."""

    value: int
    capped: bool = False

    def __str__(self) -> str:
        return f"{self.value:,}+" if self.capped else f"{self.value:,}"

    def __format__(self, spec: str) -> str:  # t("queue.total", total=count) formats it into the sentence
        return str(self)

    def __bool__(self) -> bool:
        return self.value > 0


def _capped_count(query: Select[Any], limit: int) -> Any:
    rows = query.order_by(None).with_only_columns(literal(1), maintain_column_froms=True).limit(limit + 1)
    return select(func.count()).select_from(rows.subquery()).scalar_subquery()


def bounded_counts(
    session: Session,
    queries: Mapping[str, Select[Any]],
    *,
    limit: int | None = None,
    limits: Mapping[str, int] | None = None,
) -> dict[str, Count]:
    """How many rows each query would return, each counted up to `limit` (or its own in `limits`; more reads
    "limit+"), all in one statement."""
    if not queries:
        return {}
    names = list(queries)
    default = COUNT_LIMIT if limit is None else limit
    caps = [(limits or {}).get(name, default) for name in names]
    columns = [
        _capped_count(queries[name], cap).label(f"c{i}") for i, (name, cap) in enumerate(zip(names, caps, strict=True))
    ]
    values = session.execute(select(*columns)).one()
    return {
        name: Count(min(int(value or 0), cap), capped=int(value or 0) > cap)
        for name, cap, value in zip(names, caps, values, strict=True)
    }


def bounded_count(session: Session, query: Select[Any], *, limit: int | None = None) -> Count:
    """How many rows `query` would return, counted up to `limit`."""
    return bounded_counts(session, {"n": query}, limit=limit)["n"]
