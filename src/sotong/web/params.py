"""Reading query strings and form fields the way every page does: a value that does not parse is absent (a filter
link someone mangled shows the unfiltered page, not an error page). A value that parses but no database could hold
(an id beyond 64 bits, page 9,223,372,036,854,775,807, the year 1) is refused with a 400 that names it: before
these bounds it reached the database or the calendar and came back as a 500."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TypeVar

from sotong.errors import SotongError

E = TypeVar("E", bound=Enum)

# The largest id a row can have (BIGINT) and the furthest page any list is read to.
MAX_ID = 2**63 - 1
MAX_PAGE = 100_000
# Dates a filter may name: a day off either end would overflow once turned into a time zone's midnight.
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(9998, 12, 31)


class BadParameter(SotongError):
    """A query or form value out of every sensible range."""

    code = "bad_parameter"
    http_status = 400


def enum_or_none(enum_cls: type[E], value: str | None) -> E | None:
    """`value` as a member of `enum_cls`, or None when empty or not one of its values."""
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


def int_or_none(value: str | None, name: str = "number") -> int | None:
    """`value` as an integer, or None when empty or not a number; BadParameter beyond a 64-bit id."""
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    if number is not None and abs(number) > MAX_ID:
        raise BadParameter(f"{name} is out of range")
    return number


def page_number(value: str | None) -> int:
    """A page number, 1 when absent or not a number; BadParameter beyond the last page any list has."""
    page = max(1, int_or_none(value, "page") or 1)
    if page > MAX_PAGE:
        raise BadParameter(f"page must be at most {MAX_PAGE:,}")
    return page


def date_or_none(value: str | None, name: str = "date") -> dt.date | None:
    """`value` (2026-11-01) as a date, or None when empty or not a date; BadParameter outside 1900-9998."""
    try:
        day = dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
    if day is not None and not MIN_DATE <= day <= MAX_DATE:
        raise BadParameter(f"{name} must lie between {MIN_DATE} and {MAX_DATE}")
    return day


def check_date_range(day: dt.date, name: str) -> dt.date:
    """`day` itself, or BadParameter outside 1900-9998 (for dates parsed elsewhere)."""
    if not MIN_DATE <= day <= MAX_DATE:
        raise BadParameter(f"{name} must lie between {MIN_DATE} and {MAX_DATE}")
    return day
