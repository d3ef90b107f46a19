"""What every `sotong` command group shares: the console it prints to, settings with a clear error, a session on a
migrated database, enum values parsed from what people type (organisations and departments by name: orgs/service.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import TypeVar

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session

from sotong import schema
from sotong.db import make_engine, session_factory
from sotong.errors import InvalidInput
from sotong.settings import Settings, get_settings

E = TypeVar("E", bound=Enum)

console = Console()
err_console = Console(stderr=True)


def ok(text: str) -> None:
    """A green tick and what was done."""
    console.print(f"[green]✓[/green] {escape(text)}")


def settings_or_error() -> Settings:
    """The settings, or InvalidInput naming the bad SOTONG_* value."""
    try:
        return get_settings()
    except ValidationError as exc:  # a bad SOTONG_* value, or production refusing what it needs
        # Each problem in its own words, without pydantic's "[type=value_error]" and documentation links (an
        # administrator reads this at 2 a.m. after an upgrade).
        problems = [
            (f"SOTONG_{str(error['loc'][0]).upper()}: " if error["loc"] else "")
            + str(error["msg"]).removeprefix("Value error, ")
            for error in exc.errors()
        ]
        raise InvalidInput("invalid configuration: " + "; ".join(problems)) from exc
    except ValueError as exc:
        raise InvalidInput(f"invalid configuration: {exc}") from exc


@contextmanager
def session_scope(*, require_schema: bool = True) -> Iterator[Session]:
    """A session on the configured database, refusing to run on one that is not migrated."""
    engine = make_engine(settings_or_error().database_url)
    try:
        if require_schema:
            found = schema.status(engine)
            if found.state is not schema.SchemaState.current:
                raise InvalidInput(found.advice)
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def parse_enum(enum: type[E], raw: str, what: str) -> E:
    """`raw` as a member of `enum`, or InvalidInput listing the allowed values."""
    try:
        return enum(raw)
    except ValueError:
        raise InvalidInput(f"unknown {what} {raw!r} (one of: {', '.join(str(m.value) for m in enum)})") from None
