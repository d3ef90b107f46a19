"""Engine, sessions and column types; the SQLite/PostgreSQL differences live here and nowhere else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Engine, Enum, Integer, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations are the same on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only aliases the rowid for a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonDoc = JSON().with_variant(JSONB(), "postgresql")


class UnstorableValue(ValueError):
    """A value no column can hold: text with a NUL character (PostgreSQL stores none) an integer beyond 64 bits
    or a time beyond the calendar once moved to UTC (the year 1 in Seoul).

    Neither database is given one, so both answer alike.
    """


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always timezone-aware in Python and UTC in storage; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} refused: use timezone-aware datetimes")
        try:
            value = value.astimezone(dt.UTC)
        except OverflowError:
            raise UnstorableValue(f"the time {value.isoformat()} is out of range") from None
        # SQLite keeps text; a fixed naive UTC form sorts correctly and compares with our parameters.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def str_enum(enum_cls: type[StrEnum], length: int = 32) -> Enum:
    """Store a StrEnum as its value in a plain VARCHAR (no native PG enum: new values need no migration)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Set only by `clock_at`: replaying history (the demo loader) makes every action, audit event and column
# default see the replayed moment, so timelines and deadlines agree with the message times.
_CLOCK: ContextVar[dt.datetime | None] = ContextVar("sotong_clock", default=None)


def utcnow() -> dt.datetime:
    """Now, aware, in UTC (or the moment set by `clock_at` in this context)."""
    fixed = _CLOCK.get()
    return fixed if fixed is not None else dt.datetime.now(dt.UTC)


@contextmanager
def clock_at(moment: dt.datetime) -> Iterator[None]:
    """Make `utcnow()` return `moment` inside the block (the demo loader replays a month of history)."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r} refused: use timezone-aware datetimes")
    token = _CLOCK.set(moment.astimezone(dt.UTC))
    try:
        yield
    finally:
        _CLOCK.reset(token)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the web server read while a worker writes; busy_timeout waits for the writer instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


BIGINT_MAX = 2**63 - 1


def _refuse_unstorable(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, executemany: bool
) -> None:
    # The last line of defence (web/guard.py refuses NUL in paths, queries and forms; cases/inbound.py strips it
    # from messages; web/params.py bounds numbers): whatever still carries one is refused as bad input, the same on
    # SQLite and PostgreSQL, instead of a database error (a 500; on PostgreSQL a webhook failing on every redelivery).
    # One row (a dict or a tuple), or many (executemany: a list of them; a batched INSERT: sometimes one flat tuple).
    rows = parameters if isinstance(parameters, list | tuple) else (parameters,)
    for row in rows:
        values = row.values() if isinstance(row, dict) else row if isinstance(row, list | tuple) else (row,)
        for value in values:
            if isinstance(value, str):
                if "\x00" in value:
                    raise UnstorableValue("text with a NUL character (\\x00) cannot be stored")
            elif isinstance(value, int) and not -BIGINT_MAX - 1 <= value <= BIGINT_MAX:
                raise UnstorableValue(f"the number {value} is out of range")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for `url` with the per-database settings Sotong relies on."""
    engine = _make_engine(url, **kwargs)
    event.listen(engine, "before_cursor_execute", _refuse_unstorable)
    return engine


def _make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("hide_parameters", True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs.setdefault("pool_pre_ping", True)
    # Statement parameters are what citizens wrote: an error message (and so a log line) must not carry them.
    kwargs.setdefault("hide_parameters", True)
    return create_engine(url, **kwargs)


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One engine per database URL per process."""
    return make_engine(url)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions keep loaded objects usable after commit: actions return what they changed."""
    return sessionmaker(bind=engine, expire_on_commit=False)


_DEPTH = "sotong.atomic_depth"


@contextmanager
def atomic(session: Session) -> Iterator[Session]:
    """The transaction of one action: commit at the end of the outermost block, roll back on any error.

    Nested blocks join the outer transaction (no savepoint), so an action called from another action or
    from the demo loader commits exactly once, with everything it caused.
    """
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        if depth:
            yield session
            return
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
    finally:
        session.info[_DEPTH] = depth


def in_atomic(session: Session) -> bool:
    """True inside an action's transaction (helpers that write assert this)."""
    return bool(session.info.get(_DEPTH, 0))
