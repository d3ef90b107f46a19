"""Bringing a database to the current schema with Alembic (used by the CLI, `make run` and the tests), and telling
code and database apart when their versions differ."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from sotong import __version__
from sotong.db import make_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaState(StrEnum):
    current = "current"  # the database is at this code's newest migration
    behind = "behind"  # older: run `sotong db upgrade`
    ahead = "ahead"  # migrated by a newer release: install that release (or newer) of the code
    empty = "empty"  # never migrated


@dataclass(frozen=True)
class SchemaStatus:
    state: SchemaState
    revisions: frozenset[str]
    heads: frozenset[str]
    # The release that last migrated the database (None before release 0.2, which started the log).
    migrated_by: str | None = None

    @property
    def advice(self) -> str:
        """What the operator should do, in one sentence."""
        if self.state is SchemaState.current:
            return "the database schema is up to date"
        if self.state is SchemaState.ahead:
            release = f"sotong {self.migrated_by}" if self.migrated_by else "the release that migrated it"
            return (
                f"the database was migrated by a newer release than this sotong {__version__}: "
                f"install {release} or newer (never downgrade a database)"
            )
        return "the database schema is older than this code: run `sotong db upgrade`"


class DatabaseAhead(Exception):
    """`upgrade` refused: the database is newer than the code."""


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the shipped migrations and `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def status(engine: Engine) -> SchemaStatus:
    """Where the database stands against this code's migrations."""
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    heads = frozenset(script.get_heads())
    with engine.connect() as conn:
        revisions = frozenset(MigrationContext.configure(conn).get_current_heads())
        migrated_by = _migrated_by(conn)
    if not revisions:
        state = SchemaState.empty
    elif revisions == heads:
        state = SchemaState.current
    elif any(_unknown(script, revision) for revision in revisions):
        state = SchemaState.ahead
    else:
        state = SchemaState.behind
    return SchemaStatus(state=state, revisions=revisions, heads=heads, migrated_by=migrated_by)


def unknown_revisions(url: str, revisions: list[str]) -> list[str]:
    """Those of `revisions` that no migration of this code has (a database of a newer release)."""
    script = ScriptDirectory.from_config(alembic_config(url))
    return [revision for revision in revisions if _unknown(script, revision)]


def _unknown(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is None
    except Exception:  # alembic raises its own errors for ids it has never seen
        return True


def _migrated_by(conn: Connection) -> str | None:
    if not inspect(conn).has_table("schema_releases"):
        return None
    return conn.execute(text("SELECT version FROM schema_releases ORDER BY id DESC LIMIT 1")).scalar()


def upgrade(url: str, revision: str = "heads") -> None:
    """Apply every migration up to `revision` (all heads, so a not-yet-merged branch is applied too), and note which
    release did it. Refuses a database migrated by a newer release: its migrations are not here to check against."""
    engine = make_engine(url)
    try:
        found = status(engine)
        if found.state is SchemaState.ahead:
            raise DatabaseAhead(found.advice)
        command.upgrade(alembic_config(url), revision)
        with engine.begin() as conn:
            if inspect(conn).has_table("schema_releases"):
                heads = MigrationContext.configure(conn).get_current_heads()
                last = conn.execute(
                    text("SELECT version, revision FROM schema_releases ORDER BY id DESC LIMIT 1")
                ).first()
                now_at = ",".join(sorted(heads))
                if last is None or tuple(last) != (__version__, now_at):
                    conn.execute(
                        text("INSERT INTO schema_releases (version, revision, applied_at) VALUES (:v, :r, :t)"),
                        {"v": __version__, "r": now_at, "t": _now(conn)},
                    )
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    """Undo migrations down to `revision` (the rollback of an upgrade; the data of dropped tables is lost)."""
    command.downgrade(alembic_config(url), revision)


def _now(conn: Connection) -> dt.datetime:
    now = dt.datetime.now(dt.UTC)
    # SQLite keeps timestamps as naive UTC text (db.UTCDateTime); PostgreSQL takes the aware value.
    return now.replace(tzinfo=None) if conn.dialect.name == "sqlite" else now


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest migration."""
    return status(engine).state is SchemaState.current
