"""Reading query strings and form fields the way every page does: a value that does not parse is absent (a filter
link someone mangled shows the unfiltered page, not an error page)."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

E = TypeVar("E", bound=Enum)


def enum_or_none(enum_cls: type[E], value: str | None) -> E | None:
    """`value` as a member of `enum_cls`, or None when empty or not one of its values."""
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


def int_or_none(value: str | None) -> int | None:
    """`value` as an integer, or None when empty or not a number."""
    try:
        return int(value) if value else None
    except ValueError:
        return None
