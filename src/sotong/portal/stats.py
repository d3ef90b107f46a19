"""Public statistics: volume, channels, on-time rate, medians, top categories, 단순의견 answered, and map clusters.

Everything is a SQL aggregate over publicly listed cases (public, not 공익신고, not hidden), so the database
does the counting and no case row is ever loaded into Python. A period reads only its slice of the partial
covering index `ix_cases_public_stats`; "all time" on 1M cases is a full pass (several hundred milliseconds
to seconds), which the per-process cache (`TTLCache`, at most `stats_cache_seconds` = 60 s stale) pays once a
minute per view instead of on every request.

Days are local days of the deployment's time zone, taken at the zone's current UTC offset (exact for
Asia/Seoul, which has had no daylight saving since 1988); weeks and months are rolled up from the days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Float, Index, Integer, and_, case, cast, func, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement as _Col

from sotong.cases.models import Case, CaseStatus, ComplaintType
from sotong.cases.service import public_condition
from sotong.orgs.models import Category, Department, Organisation
from sotong.portal.models import PG_PUBLIC_WHERE, SQLITE_PUBLIC_WHERE

T = TypeVar("T")

PERIODS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "365d": 365, "all": None}
DEFAULT_PERIOD = "30d"
GRAINS = ("day", "week", "month")
# The grain that reads best for each period when the visitor has not chosen one.
DEFAULT_GRAIN = {"7d": "day", "30d": "day", "90d": "week", "365d": "month", "all": "month"}
TOP_CATEGORIES = 10


# --------------------------------------------------------------------------------------------- cache


class TTLCache:
    """A small per-process cache: a value computed once is served until it is `ttl` seconds old.

    Several web processes each keep their own copy, so a number may differ between two processes by at most
    `ttl` seconds of new cases; nothing is ever older than that. Concurrent misses of the same key compute once.
    A value is stamped with the time its computation started (the data it read is at least that fresh).

    `refresh_after` (seconds, optional): a value that old is still served, and one background thread computes
    its successor, so a cold "all time" pass of seconds is not paid by the visitors who happen to arrive when
    the value expires. `spawn` starts that work (a daemon thread; tests run it at once).
    """

    def __init__(
        self,
        ttl: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 512,
        refresh_after: float | None = None,
        spawn: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self.refresh_after = refresh_after
        self.spawn = spawn or _daemon_thread
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._refreshing: set[Hashable] = set()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of `key`, or `compute()` stored for `ttl` seconds."""
        return self.get_stamped(key, compute)[1]

    def get_stamped(
        self, key: Hashable, compute: Callable[[], T], *, born: float | None = None, refresh: bool = False
    ) -> tuple[float, T]:
        """(when it was computed, value) of `key`, or of `compute()` stored for `ttl` seconds.

        `born`: the clock reading of the oldest cached input `compute` builds on; the value expires with it, so a
        page made of cached figures is never older than the figures' own bound. `refresh`: recompute ahead of
        expiry in the background (see the class); `compute` must then not use the caller's database session.
        """
        if self.ttl <= 0:
            return self.clock(), compute()
        hit = self._fresh(key)
        if hit is not None:
            if refresh and self.refresh_after is not None and self.clock() - hit[0] >= self.refresh_after:
                self._refresh(key, compute)
            return hit
        return self._compute(key, compute, born)

    def _compute(self, key: Hashable, compute: Callable[[], T], born: float | None) -> tuple[float, T]:
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one computation per key; the others wait for it rather than hitting the database too
            hit = self._fresh(key)
            if hit is not None and (born is not None or self.clock() - hit[0] < (self.refresh_after or self.ttl)):
                return hit
            started = self.clock()
            value = compute()
            stamped = (started if born is None else born, value)
            with self._lock:
                if len(self._values) >= self.max_entries:
                    self._evict()
                self._values[key] = stamped
            return stamped

    def _refresh(self, key: Hashable, compute: Callable[[], Any]) -> None:
        with self._lock:
            if key in self._refreshing:
                return
            self._refreshing.add(key)

        def work() -> None:
            try:
                self._compute(key, compute, None)
            finally:
                with self._lock:
                    self._refreshing.discard(key)

        self.spawn(work)

    def remaining(self, born: float) -> int:
        """Whole seconds a value computed at `born` stays fresh (what a `max-age` may promise)."""
        return max(0, int(self.ttl - (self.clock() - born)))

    def _fresh(self, key: Hashable) -> tuple[float, Any] | None:
        with self._lock:
            hit = self._values.get(key)
        if hit is not None and self.clock() - hit[0] < self.ttl:
            return hit
        return None

    def _evict(self) -> None:
        now = self.clock()
        for key in [k for k, (at, _) in self._values.items() if now - at >= self.ttl]:
            del self._values[key]
        while len(self._values) >= self.max_entries:  # still full of fresh values: drop the oldest
            del self._values[min(self._values, key=lambda k: self._values[k][0])]

    def clear(self) -> None:
        """Forget everything (a public case changed: portal/opendata.forget_public)."""
        with self._lock:
            self._values.clear()


def _daemon_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="stats-refresh", daemon=True).start()


# --------------------------------------------------------------------------------------------- the index

# Every figure reads public cases by received time and a handful of narrow columns. On PostgreSQL this partial
# covering index answers those queries by an index-only scan: a period reads only its slice, and even "all
# time" reads ~100 bytes a case instead of the wide heap rows (complaint texts). Same predicate as the public
# list's index, written as `public_filter()` compiles, so the planners match it.
STATS_COLUMNS = (
    "org_id",
    "department_id",
    "category_id",
    "channel",
    "complaint_type",
    "status",
    "first_responded_at",
    "answered_at",
    "due_at",
    "latitude",
    "longitude",
)
PUBLIC_STATS_INDEX = Index(
    "ix_cases_public_stats",
    Case.received_at,
    postgresql_include=list(STATS_COLUMNS),
    postgresql_where=text(PG_PUBLIC_WHERE),
    sqlite_where=text(SQLITE_PUBLIC_WHERE),
)


# --------------------------------------------------------------------------------------------- the query


@dataclass(frozen=True)
class StatsQuery:
    """What the visitor chose: the period, the bucket size of the volume chart, one organisation or all."""

    period: str = DEFAULT_PERIOD
    grain: str = "day"
    org_id: int | None = None

    @classmethod
    def parse(cls, *, period: str | None, grain: str | None, org_id: int | None) -> StatsQuery:
        """A valid query from untrusted parameters (unknown values fall back to the defaults)."""
        chosen = period if period in PERIODS else DEFAULT_PERIOD
        return cls(period=chosen, grain=grain if grain in GRAINS else DEFAULT_GRAIN[chosen], org_id=org_id)


def public_filter() -> ColumnElement[bool]:
    """What the public may count: `cases.service.public_condition()`, the one definition of every surface."""
    return public_condition()


def period_start(period: str, *, now: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
    """The first instant of the period: local midnight `days - 1` days before today (today included)."""
    days = PERIODS.get(period)
    if days is None:
        return None
    local_today = now.astimezone(tz).date()
    start = dt.datetime.combine(local_today - dt.timedelta(days=days - 1), dt.time(0), tzinfo=tz)
    return start.astimezone(dt.UTC)


def scope(query: StatsQuery, *, now: dt.datetime, tz: ZoneInfo) -> list[ColumnElement[bool]]:
    """WHERE conditions for the public cases of the query's organisation and period."""
    conditions: list[ColumnElement[bool]] = [public_filter()]
    start = period_start(query.period, now=now, tz=tz)
    if start is not None:
        conditions.append(Case.received_at >= start)
    if query.org_id is not None:
        conditions.append(Case.org_id == query.org_id)
    return conditions


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _offset_minutes(tz: ZoneInfo, now: dt.datetime) -> int:
    offset = now.astimezone(tz).utcoffset() or dt.timedelta(0)
    return int(offset.total_seconds() // 60)


def day_number(session: Session, *, tz: ZoneInfo, now: dt.datetime) -> ColumnElement[Any]:
    """The local day a case was received, as days since 1970-01-01: integer arithmetic, cheap on every row.

    Weeks and months are rolled up from the days in Python (at most a few thousand), which is several times
    faster on a million rows than asking the database for time-zone conversion and date_trunc per row. The
    zone's current UTC offset is used (exact for Asia/Seoul, which has no daylight saving).
    """
    offset = _offset_minutes(tz, now) * 60
    if _is_sqlite(session):
        return cast(func.julianday(Case.received_at) - 2440587.5 + offset / 86400.0, Integer)
    return func.floor((func.extract("epoch", Case.received_at) + offset) / 86400)


def hours_between(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    """`end - start` in hours, as a float expression on both databases."""
    if _is_sqlite(session):
        return cast((func.julianday(end) - func.julianday(start)) * 24.0, Float)
    return cast(func.extract("epoch", end - start) / 3600.0, Float)


def medians(session: Session, conditions: list[ColumnElement[bool]]) -> tuple[float | None, float | None]:
    """Median hours from receipt to first reply and to answer; on PostgreSQL both in one pass (ordered-set
    aggregates skip NULLs, so each median reads only the cases that have that time)."""
    if _is_sqlite(session):
        return (
            median_hours(session, conditions, Case.received_at, Case.first_responded_at),
            median_hours(session, conditions, Case.received_at, Case.answered_at),
        )
    first = hours_between(session, Case.received_at, Case.first_responded_at)
    answer = hours_between(session, Case.received_at, Case.answered_at)
    row = session.execute(
        select(func.percentile_cont(0.5).within_group(first), func.percentile_cont(0.5).within_group(answer)).where(
            *conditions, or_(Case.first_responded_at.is_not(None), Case.answered_at.is_not(None))
        )
    ).one()
    return (float(row[0]) if row[0] is not None else None, float(row[1]) if row[1] is not None else None)


def median_hours(session: Session, conditions: list[ColumnElement[bool]], start: Any, end: Any) -> float | None:
    """The median of `end - start` in hours over matching cases with `end` set; None when there are none."""
    where = [*conditions, end.is_not(None)]
    hours = hours_between(session, start, end)
    if not _is_sqlite(session):
        value = session.scalar(select(func.percentile_cont(0.5).within_group(hours)).where(*where))
        return float(value) if value is not None else None
    # SQLite has no percentile function: count, then read the middle one or two values in index order.
    n = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    if n == 0:
        return None
    middle = session.scalars(select(hours).where(*where).order_by(hours).limit(2 - n % 2).offset((n - 1) // 2))
    values = [float(v) for v in middle]
    return sum(values) / len(values)


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Row:
    """One labelled number of a chart or table."""

    key: str
    label: str
    value: float
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Stats:
    """Everything the statistics page shows, computed at `computed_at`."""

    query: StatsQuery
    computed_at: dt.datetime
    total: int
    answered: int
    volume: list[Row]  # per bucket of `query.grain`
    by_channel: list[Row]
    on_time: list[Row]  # per department: value = rate 0..1, extra = {"on_time": n, "decided": n}
    on_time_overall: float | None
    median_first_reply_hours: float | None
    median_answer_hours: float | None
    top_categories: list[Row]
    opinions_total: int
    opinions_answered: int

    @property
    def opinions_answered_share(self) -> float | None:
        """Share of 단순의견 answered (Seoul answers every one); None when there were none."""
        return self.opinions_answered / self.opinions_total if self.opinions_total else None


def _filled_buckets(rows: dict[str, int], grain: str, start: dt.date | None, end: dt.date) -> list[Row]:
    """Every bucket from start to end, zeros included, so a quiet day shows as a gap rather than vanishing."""
    if not rows and start is None:
        return []
    first = start or min(dt.date.fromisoformat(k) for k in rows)
    if grain == "week":
        first -= dt.timedelta(days=first.weekday())
    elif grain == "month":
        first = first.replace(day=1)
    keys: list[str] = []
    day = first
    while day <= end and len(keys) < 2000:
        keys.append(day.isoformat())
        if grain == "day":
            day += dt.timedelta(days=1)
        elif grain == "week":
            day += dt.timedelta(days=7)
        else:
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    known = set(keys)
    keys += sorted(k for k in rows if k not in known)  # never drop a counted bucket
    return [Row(key=k, label=k, value=rows.get(k, 0)) for k in keys]


def compute(session: Session, query: StatsQuery, *, tz: ZoneInfo, now: dt.datetime) -> Stats:
    """All the public statistics of `query`, by SQL aggregates (nothing per case is loaded)."""
    return dataclasses.replace(
        compute_summary(session, query, tz=tz, now=now), volume=compute_volume(session, query, tz=tz, now=now)
    )


def daily_counts(session: Session, query: StatsQuery, *, tz: ZoneInfo, now: dt.datetime) -> dict[dt.date, int]:
    """Cases per local day of the query's period (one GROUP BY on an integer day number)."""
    day = day_number(session, tz=tz, now=now).label("day")
    epoch = dt.date(1970, 1, 1)
    rows = session.execute(select(day, func.count()).where(*scope(query, now=now, tz=tz)).group_by(day))
    return {epoch + dt.timedelta(days=int(d)): int(n) for d, n in rows}


def volume(days: dict[dt.date, int], query: StatsQuery, *, tz: ZoneInfo, now: dt.datetime) -> list[Row]:
    """The daily counts rolled up to the query's grain (weeks from Monday, months), every bucket filled."""
    buckets: dict[str, int] = {}
    for day, n in days.items():
        if query.grain == "week":
            day -= dt.timedelta(days=day.weekday())
        elif query.grain == "month":
            day = day.replace(day=1)
        buckets[day.isoformat()] = buckets.get(day.isoformat(), 0) + n
    start = period_start(query.period, now=now, tz=tz)
    return _filled_buckets(
        buckets, query.grain, start.astimezone(tz).date() if start else None, now.astimezone(tz).date()
    )


def compute_volume(session: Session, query: StatsQuery, *, tz: ZoneInfo, now: dt.datetime) -> list[Row]:
    """Cases per local day, week or month of the query's period."""
    return volume(daily_counts(session, query, tz=tz, now=now), query, tz=tz, now=now)


def compute_summary(session: Session, query: StatsQuery, *, tz: ZoneInfo, now: dt.datetime) -> Stats:
    """Every figure but the volume chart (left empty): the same for any grain, so cached without it."""
    where = scope(query, now=now, tz=tz)

    is_opinion = Case.complaint_type == ComplaintType.opinion
    total, answered, opinions_total, opinions_answered = session.execute(
        select(
            func.count(),
            func.count(Case.answered_at),
            func.sum(case((is_opinion, 1), else_=0)),
            func.sum(case((and_(is_opinion, Case.answered_at.is_not(None)), 1), else_=0)),
        )
        .select_from(Case)
        .where(*where)
    ).one()

    by_channel = [
        Row(key=str(getattr(ch, "value", ch)), label=str(getattr(ch, "value", ch)), value=int(n))
        for ch, n in session.execute(
            select(Case.channel, func.count()).where(*where).group_by(Case.channel).order_by(func.count().desc())
        )
    ]

    # On time: answered by the (possibly extended) deadline. Decided: answered, or the deadline has passed
    # without an answer (a miss). Cases still open inside their deadline are not counted either way.
    # A transfer to another organisation closes the case here without an answer: it is not counted.
    decided = and_(Case.status != CaseStatus.transferred_out, or_(Case.answered_at.is_not(None), Case.due_at < now))
    on_time_flag = case((and_(Case.answered_at.is_not(None), Case.answered_at <= Case.due_at), 1), else_=0)
    dept_rows = session.execute(
        select(Case.org_id, Case.department_id, func.sum(on_time_flag), func.count())
        .where(*where, decided)
        .group_by(Case.org_id, Case.department_id)
    ).all()
    dept_names = dict(session.execute(select(Department.id, Department.name)).all()) if dept_rows else {}
    org_names = dict(session.execute(select(Organisation.id, Organisation.name)).all()) if dept_rows else {}
    on_time: list[Row] = []
    total_on_time = total_decided = 0
    for org_id, dept_id, n_on_time, n_decided in dept_rows:
        n_on_time, n_decided = int(n_on_time or 0), int(n_decided)
        total_on_time += n_on_time
        total_decided += n_decided
        name = dept_names.get(dept_id) if dept_id is not None else None
        label = name or "-"
        if query.org_id is None:
            label = f"{org_names.get(org_id, '')} {label}".strip()
        on_time.append(
            Row(
                key=f"{org_id}:{dept_id or 0}",
                label=label,
                value=n_on_time / n_decided,
                extra={"on_time": n_on_time, "decided": n_decided, "unassigned": dept_id is None},
            )
        )
    on_time.sort(key=lambda r: (-r.extra["decided"], r.label))

    not_moved = Case.status != CaseStatus.transferred_out
    top_rows = session.execute(
        select(Case.category_id, func.count())
        .where(*where, Case.category_id.is_not(None))
        .group_by(Case.category_id)
        .order_by(func.count().desc(), Case.category_id)
        .limit(TOP_CATEGORIES)
    ).all()
    cat_names: dict[int, str] = {
        cid: name
        for cid, name in session.execute(
            select(Category.id, Category.name).where(Category.id.in_([r[0] for r in top_rows]))
        )
    }
    top_categories = [Row(key=str(cid), label=cat_names.get(cid or 0, str(cid)), value=int(n)) for cid, n in top_rows]

    first_reply, to_answer = medians(session, [*where, not_moved])
    return Stats(
        query=query,
        computed_at=now,
        total=int(total),
        answered=int(answered),
        volume=[],
        by_channel=by_channel,
        on_time=on_time,
        on_time_overall=total_on_time / total_decided if total_decided else None,
        median_first_reply_hours=first_reply,
        median_answer_hours=to_answer,
        top_categories=top_categories,
        opinions_total=int(opinions_total or 0),
        opinions_answered=int(opinions_answered or 0),
    )


# --------------------------------------------------------------------------------------------- map clusters

# ~50 m: the finest grid a public location is ever given on (1° of latitude is 111.32 km; longitude is
# shrunk by the cosine of Korea's latitude, ~37.5°).
COARSE_LAT = 50 / 111_320
COARSE_LON = 50 / (111_320 * math.cos(math.radians(37.5)))


def coarsen(latitude: float, longitude: float) -> tuple[float, float]:
    """A location snapped to the ~50 m public grid (the cell's centre), so no public output pinpoints a home."""
    lat = (math.floor(latitude / COARSE_LAT) + 0.5) * COARSE_LAT
    lon = (math.floor(longitude / COARSE_LON) + 0.5) * COARSE_LON
    return round(lat, 6), round(lon, 6)


@dataclass(frozen=True)
class Cluster:
    """Cases within one grid cell: their count and the (coarsened) centre of their locations."""

    latitude: float
    longitude: float
    count: int


def _cell_index(session: Session, column: Any, size: float) -> _Col[Any]:
    if _is_sqlite(session):
        # SQLite may lack floor(); truncating after a large positive shift floors any coordinate on Earth.
        return cast(column / size + 10_000_000, Integer) - 10_000_000
    return func.floor(column / size)


def clusters(
    session: Session,
    query: StatsQuery,
    *,
    tz: ZoneInfo,
    now: dt.datetime,
    cell_degrees: float,
    bbox: tuple[float, float, float, float] | None = None,
) -> list[Cluster]:
    """Located public cases grouped on a grid of `cell_degrees` (never finer than ~50 m), inside `bbox`
    (west, south, east, north) when given."""
    cell_lat = max(cell_degrees, COARSE_LAT)
    cell_lon = max(cell_degrees / math.cos(math.radians(37.5)), COARSE_LON)
    where = [*scope(query, now=now, tz=tz), Case.latitude.is_not(None), Case.longitude.is_not(None)]
    if bbox is not None:
        west, south, east, north = bbox
        where += [
            Case.longitude >= west,
            Case.longitude <= east,
            Case.latitude >= south,
            Case.latitude <= north,
        ]
    row_key = _cell_index(session, Case.latitude, cell_lat).label("row")
    col_key = _cell_index(session, Case.longitude, cell_lon).label("col")
    rows = session.execute(
        select(row_key, col_key, func.count(), func.avg(Case.latitude), func.avg(Case.longitude))
        .where(*where)
        .group_by(row_key, col_key)
        .order_by(func.count().desc())
        .limit(2000)
    )
    out = []
    for _row, _col, n, lat, lon in rows:
        # The mean of one case is that case's exact spot: every centre is snapped to the public grid.
        clat, clon = coarsen(float(lat), float(lon))
        out.append(Cluster(latitude=clat, longitude=clon, count=int(n)))
    return out
