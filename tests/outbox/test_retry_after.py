"""A platform's Retry-After, read one way for every channel: seconds, an HTTP date, or nothing usable."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime

from sotong.outbox.transports import retry_after


def test_seconds() -> None:
    assert retry_after("120") == 120.0
    assert retry_after(" 1.5 ") == 1.5
    assert retry_after("-3") == 0.0


def test_an_http_date_is_seconds_from_now() -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    wait = retry_after(format_datetime(when, usegmt=True))
    assert wait is not None and 100 <= wait <= 120
    assert retry_after(format_datetime(dt.datetime(2020, 1, 1, tzinfo=dt.UTC), usegmt=True)) == 0.0


def test_absent_or_unreadable_falls_back_to_the_default() -> None:
    assert retry_after(None) is None
    assert retry_after("", 60.0) == 60.0
    assert retry_after("soon", 60.0) == 60.0
