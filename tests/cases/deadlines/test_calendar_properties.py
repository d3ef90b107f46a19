"""Deadline arithmetic against a brute-force oracle, over random dates, hours and holidays (Hypothesis).

The oracle walks the clock one minute at a time and asks, for each minute, whether an office with these hours
is open: Monday to Friday, not a Korean public holiday (read from the `holidays` package here, not through the
product), not a closure day, inside an opening interval. It shares no code with `BusinessCalendar`, so a slip
in the product's interval arithmetic (an off-by-one at lunch, a holiday forgotten on the first day, the day of
receipt not counted) disagrees with it.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sotong.cases.deadlines.sla import BusinessCalendar, add_period
from sotong.cases.models import PeriodUnit
from sotong.errors import DeadlineError

KST = ZoneInfo("Asia/Seoul")
MINUTE = dt.timedelta(minutes=1)


@lru_cache(maxsize=16)
def _holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("KR", years=year).keys())


class Office:
    """Opening hours as sets of minutes of the day; the oracle's whole notion of working time."""

    def __init__(self, hours: tuple[tuple[int, int], ...], closures: frozenset[dt.date]) -> None:
        self.open_minutes = frozenset(m for start, end in hours for m in range(start, end))
        self.closing = max(end for _start, end in hours)
        self.closures = closures

    def works_on(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in _holidays(day.year) and day not in self.closures

    def is_open(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(KST)
        return self.works_on(local.date()) and local.hour * 60 + local.minute in self.open_minutes

    def after_working_minutes(self, start: dt.datetime, minutes: int) -> dt.datetime:
        moment, counted = start, 0
        if minutes == 0:
            while not self.is_open(moment):
                moment += MINUTE
            return moment
        while True:
            if self.is_open(moment):
                counted += 1
                if counted == minutes:
                    return moment + MINUTE
            moment += MINUTE

    def close_of_working_day(self, start: dt.datetime, days: int) -> dt.datetime:
        first = self.after_working_minutes(start, 0).astimezone(KST).date()
        day, counted = first, 0
        while True:
            if self.works_on(day):
                counted += 1
                if counted == days:
                    return dt.datetime.combine(day, dt.time(0), KST) + dt.timedelta(minutes=self.closing)
            day += dt.timedelta(days=1)


def _time(minute: int) -> dt.time:
    return dt.time(minute // 60, minute % 60)


@st.composite
def offices(draw: st.DrawFn) -> tuple[BusinessCalendar, Office]:
    """Opening hours on the quarter hour, with or without a lunch break, and a few closure days."""
    start = draw(st.integers(6 * 4, 11 * 4)) * 15
    end = draw(st.integers(start // 15 + 8, 21 * 4)) * 15
    lunch = draw(st.booleans())
    closures = frozenset(
        draw(st.lists(st.dates(dt.date(2025, 12, 1), dt.date(2026, 12, 31)), max_size=4)),
    )
    if lunch:
        # The break may touch opening or closing time, as the admin pages allow.
        lunch_start = draw(st.integers(start // 15, end // 15 - 2)) * 15
        lunch_end = lunch_start + draw(st.integers(1, min(4, (end - lunch_start) // 15 - 1))) * 15
        hours = tuple((a, b) for a, b in ((start, lunch_start), (lunch_end, end)) if a < b)
        calendar = BusinessCalendar.from_hours(
            work_start=_time(start),
            work_end=_time(end),
            lunch_start=_time(lunch_start),
            lunch_end=_time(lunch_end),
            closure_days=closures,
        )
    else:
        hours = ((start, end),)
        calendar = BusinessCalendar.from_hours(
            work_start=_time(start), work_end=_time(end), lunch_start=None, lunch_end=None, closure_days=closures
        )
    return calendar, Office(hours, closures)


def test_periods_must_be_positive() -> None:
    calendar = BusinessCalendar.from_hours()
    start = dt.datetime(2026, 11, 16, 10, 0, tzinfo=KST)
    for bad in (
        lambda: calendar.add_working_days(start, 0),
        lambda: calendar.add_working_minutes(start, -1),
        lambda: add_period(calendar, start, 0, PeriodUnit.days),
    ):
        with pytest.raises(DeadlineError):
            bad()


def test_a_break_at_opening_or_closing_time_is_not_working_time() -> None:
    start = dt.datetime(2026, 11, 16, 8, 0, tzinfo=KST)  # a Monday
    closes_early = BusinessCalendar.from_hours(lunch_start=dt.time(17, 0), lunch_end=dt.time(18, 0))
    assert closes_early.add_working_minutes(start, 9 * 60) == dt.datetime(2026, 11, 17, 10, 0, tzinfo=KST)
    opens_late = BusinessCalendar.from_hours(lunch_start=dt.time(9, 0), lunch_end=dt.time(10, 0))
    assert opens_late.next_working_moment(start) == dt.datetime(2026, 11, 16, 10, 0, tzinfo=KST)


# Minute-aligned moments around two years of holidays (Seollal, Chuseok, substitute and election days).
moments = st.datetimes(dt.datetime(2025, 12, 1), dt.datetime(2026, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=KST)
)


@settings(max_examples=60, deadline=None)
@given(office=offices(), start=moments, minutes=st.integers(0, 5 * 8 * 60))
def test_working_minutes_match_the_minute_counter(
    office: tuple[BusinessCalendar, Office], start: dt.datetime, minutes: int
) -> None:
    calendar, oracle = office
    assert calendar.add_working_minutes(start, minutes) == oracle.after_working_minutes(start, minutes)


@settings(max_examples=60, deadline=None)
@given(office=offices(), start=moments, days=st.integers(1, 20))
def test_working_days_match_the_day_counter(
    office: tuple[BusinessCalendar, Office], start: dt.datetime, days: int
) -> None:
    calendar, oracle = office
    assert calendar.add_working_days(start, days) == oracle.close_of_working_day(start, days)


@settings(max_examples=60, deadline=None)
@given(office=offices(), start=moments, minutes=st.integers(1, 3 * 8 * 60))
def test_minutes_between_undoes_adding_them(
    office: tuple[BusinessCalendar, Office], start: dt.datetime, minutes: int
) -> None:
    calendar, _oracle = office
    assert calendar.working_minutes_between(start, calendar.add_working_minutes(start, minutes)) == minutes


@settings(max_examples=40, deadline=None)
# The boundary between the two counting rules, always tried.
@example(start=dt.datetime(2026, 11, 16, 10, 0, tzinfo=KST), value=5, unit=PeriodUnit.days)
@example(start=dt.datetime(2026, 11, 16, 10, 0, tzinfo=KST), value=6, unit=PeriodUnit.days)
@given(start=moments, value=st.integers(1, 14), unit=st.sampled_from(list(PeriodUnit)))
def test_statutory_periods_follow_the_counting_rule(start: dt.datetime, value: int, unit: PeriodUnit) -> None:
    # 민원처리법 §19: up to 5 days counted as 8 working hours a day from receipt, 6 days or more as working
    # days with the day of receipt included; hours always in working hours.
    calendar = BusinessCalendar.from_hours()
    oracle = Office(((9 * 60, 12 * 60), (13 * 60, 18 * 60)), frozenset())
    if unit is PeriodUnit.hours:
        expected = oracle.after_working_minutes(start, value * 60)
    elif value <= 5:
        expected = oracle.after_working_minutes(start, value * 8 * 60)
    else:
        expected = oracle.close_of_working_day(start, value)
    assert add_period(calendar, start, value, unit) == expected
