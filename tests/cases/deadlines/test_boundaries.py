"""The edges of the deadline rules that the everyday tests step over: zero and one-unit periods, the refusals and
their reasons, deadlines in UTC whatever the server's own time zone, and one organisation's closure days and
policies never reaching another's calendar."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases.deadlines import actions as deadline_actions
from sotong.cases.deadlines.sla import (
    BusinessCalendar,
    DeadlineError,
    add_period,
    cached_calendar,
    calendar_for,
    compute_deadlines,
    extended_due,
    forget_rules,
    next_escalation,
    org_rules,
)
from sotong.cases.models import ComplaintType, PeriodUnit
from tests.cases.deadlines.test_policy_matching import rule
from tests.factories import World

KST = ZoneInfo("Asia/Seoul")
CALENDAR = BusinessCalendar.from_hours()
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=KST)  # no holiday that week


@pytest.fixture
def server_in_seoul(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A server whose own clock is set to Korean time, as many a district's is: the deadlines stay in UTC."""
    monkeypatch.setenv("TZ", "Asia/Seoul")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_business_hours_that_end_when_they_start_are_refused() -> None:
    with pytest.raises(DeadlineError, match="business hours must end after they start"):
        BusinessCalendar.from_hours(work_start=dt.time(9), work_end=dt.time(9))


def test_a_lunch_break_given_by_one_end_only_is_ignored() -> None:
    calendar = BusinessCalendar.from_hours(lunch_start=dt.time(12), lunch_end=None)
    assert calendar.working_minutes_between(MONDAY_10, MONDAY_10.replace(hour=14)) == 240


def test_a_lunch_break_of_no_length_leaves_the_day_whole() -> None:
    calendar = BusinessCalendar.from_hours(lunch_start=dt.time(12), lunch_end=dt.time(12))
    assert calendar.working_minutes_between(MONDAY_10, MONDAY_10.replace(hour=14)) == 240


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (lambda: CALENDAR.add_working_minutes(MONDAY_10, -1), "a period cannot be negative"),
        (lambda: CALENDAR.add_working_days(MONDAY_10, 0), "a period in days must be at least one day"),
        (lambda: add_period(CALENDAR, MONDAY_10, 0, PeriodUnit.days), "a period must be positive"),
        (lambda: add_period(CALENDAR, MONDAY_10, 0, PeriodUnit.hours), "a period must be positive"),
    ],
)
def test_periods_that_cannot_be_counted_are_refused_with_the_reason(call: object, reason: str) -> None:
    with pytest.raises(DeadlineError, match=reason):
        call()  # type: ignore[operator]


def test_a_calendar_with_no_working_time_says_so() -> None:
    every_day = frozenset(dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(4 * 366))
    closed = BusinessCalendar.from_hours(closure_days=every_day)
    with pytest.raises(DeadlineError, match="no working time in the next three years"):
        closed.add_working_minutes(MONDAY_10, 60)


def test_deadlines_are_in_utc_on_a_server_set_to_korean_time(server_in_seoul: None) -> None:
    evening = dt.datetime(2026, 11, 23, 19, 0, tzinfo=KST)  # after hours: work next starts Tuesday 09:00
    for moment in (
        CALENDAR.next_working_moment(evening),
        CALENDAR.next_working_moment(MONDAY_10),
        CALENDAR.add_working_minutes(MONDAY_10, 90),
        CALENDAR.add_working_days(MONDAY_10, 2),
    ):
        assert moment.tzinfo is dt.UTC
    assert CALENDAR.next_working_moment(evening) == dt.datetime(2026, 11, 24, 0, 0, tzinfo=dt.UTC)
    assert CALENDAR.add_working_days(MONDAY_10, 2) == dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


def test_working_minutes_are_counted_in_the_calendars_zone_on_a_server_set_to_korean_time(
    server_in_seoul: None,
) -> None:
    # 08:30 KST on Monday is still Sunday in UTC: the day is Monday where the office is.
    early = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)
    assert CALENDAR.working_minutes_between(early, MONDAY_10) == 60


def test_working_minutes_are_whole_minutes_begun_not_rounded_up() -> None:
    assert CALENDAR.working_minutes_between(MONDAY_10, MONDAY_10 + dt.timedelta(seconds=90)) == 1


def test_one_working_day_ends_the_day_of_receipt_and_an_hour_after_closing_counts_from_the_next() -> None:
    assert CALENDAR.add_working_days(MONDAY_10, 1) == dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    closing = MONDAY_10.replace(hour=18)  # exactly closing time: no time is left today
    assert CALENDAR.add_working_minutes(closing, 60) == dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)


def test_the_next_day_starts_at_midnight_for_an_office_open_round_the_clock() -> None:
    always = BusinessCalendar.from_hours(
        work_start=dt.time(0), work_end=dt.time(23, 59), lunch_start=None, lunch_end=None
    )
    late = dt.datetime(2026, 11, 23, 23, 30, tzinfo=KST)
    assert always.add_working_minutes(late, 59) == dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC)


def test_a_policy_with_only_a_unit_keeps_the_statutory_period() -> None:
    half = rule(resolution_value=None, resolution_unit=PeriodUnit.hours)
    deadlines = compute_deadlines(
        calendar=CALENDAR, start=MONDAY_10, complaint_type=ComplaintType.grievance, policy=half
    )
    statute = compute_deadlines(calendar=CALENDAR, start=MONDAY_10, complaint_type=ComplaintType.grievance, policy=None)
    assert (deadlines.period_value, deadlines.period_unit, deadlines.due_at) == (
        statute.period_value,
        statute.period_unit,
        statute.due_at,
    )


def test_a_policy_of_one_hour_is_met_and_one_of_nothing_is_refused() -> None:
    one = compute_deadlines(
        calendar=CALENDAR,
        start=MONDAY_10,
        complaint_type=ComplaintType.grievance,
        policy=rule(resolution_value=1, resolution_unit=PeriodUnit.hours),
    )
    assert one.due_at == (MONDAY_10 + dt.timedelta(hours=1)).astimezone(dt.UTC)
    assert one.answer_target_at is None
    with pytest.raises(DeadlineError, match="has a period that cannot be met"):
        compute_deadlines(
            calendar=CALENDAR,
            start=MONDAY_10,
            complaint_type=ComplaintType.grievance,
            policy=rule(resolution_value=0, resolution_unit=PeriodUnit.hours),
        )


def test_an_extension_of_one_unit_is_counted_in_its_own_unit_and_none_is_refused() -> None:
    due = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # Monday 18:00 KST
    one_hour = extended_due(
        CALENDAR, current_due=due, original_value=7, original_unit=PeriodUnit.days, value=1, unit=PeriodUnit.hours
    )
    assert one_hour == dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)  # Tuesday 10:00 KST
    one_day = extended_due(
        CALENDAR, current_due=due, original_value=7, original_unit=PeriodUnit.days, value=1, unit=PeriodUnit.days
    )
    assert one_day == dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)  # Tuesday 18:00 KST
    with pytest.raises(DeadlineError, match="an extension must be positive"):
        extended_due(
            CALENDAR, current_due=due, original_value=7, original_unit=PeriodUnit.days, value=0, unit=PeriodUnit.days
        )


def test_an_extension_longer_in_hours_than_the_original_in_days_is_refused() -> None:
    due = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    with pytest.raises(DeadlineError, match="at most as long as the original period"):
        extended_due(
            CALENDAR, current_due=due, original_value=1, original_unit=PeriodUnit.days, value=9, unit=PeriodUnit.hours
        )


def test_escalations_warn_before_the_deadline_then_tell_the_manager_at_it_then_stop() -> None:
    due = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    warning = dt.timedelta(hours=2)
    assert next_escalation(level=0, due_at=due, warning=warning) == (0, due - warning)
    assert next_escalation(level=1, due_at=due, warning=warning) == (1, due)
    assert next_escalation(level=2, due_at=due, warning=warning) == (2, None)


def test_one_organisations_closure_days_and_policies_stay_its_own(session: Session, world: World) -> None:
    closed = dt.date(2026, 11, 24)
    deadline_actions.add_closure_day(session, actor=CLI, org_id=world.seoul.id, day=closed, reason="시 행사")
    deadline_actions.create_sla_policy(
        session,
        actor=CLI,
        org_id=world.seoul.id,
        name="서울 빠른 처리",
        resolution_value=2,
        resolution_unit=PeriodUnit.hours,
    )
    forget_rules()
    assert not calendar_for(session, world.seoul).is_working_day(closed)
    assert calendar_for(session, world.songpa).is_working_day(closed)
    assert cached_calendar(session, world.songpa).is_working_day(closed)
    assert not cached_calendar(session, world.seoul).is_working_day(closed)
    assert [p.name for p in org_rules(session, world.seoul.id).policies] == ["서울 빠른 처리"]
    assert org_rules(session, world.songpa.id).policies == ()


def test_forgetting_the_rules_twice_still_drops_a_copy_read_in_between(session: Session, world: World) -> None:
    forget_rules()
    assert org_rules(session, world.songpa.id).policies == ()
    forget_rules()
    deadline_actions.create_sla_policy(
        session, actor=CLI, org_id=world.songpa.id, name="송파", resolution_value=3, resolution_unit=PeriodUnit.hours
    )
    forget_rules()
    assert [p.name for p in org_rules(session, world.songpa.id).policies] == ["송파"]


def test_a_copy_read_while_the_rules_are_forgotten_is_not_kept(session: Session, world: World) -> None:
    """A policy saved while another request was reading the old ones: that request's copy is used once, never
    cached for everyone (the clear bumps a generation the reader compares before it stores)."""
    from sotong.cases.deadlines import sla

    class ClearedMidway:
        def __init__(self, inner: Session) -> None:
            self.inner = inner

        def execute(self, *args: object, **kwargs: object) -> object:
            forget_rules()  # another thread saved a policy between this reader's start and its store
            return self.inner.execute(*args, **kwargs)  # type: ignore[arg-type]

        def scalars(self, *args: object, **kwargs: object) -> object:
            return self.inner.scalars(*args, **kwargs)  # type: ignore[arg-type]

    forget_rules()
    org_rules(ClearedMidway(session), world.songpa.id)  # type: ignore[arg-type]
    assert world.songpa.id not in sla._rules
    org_rules(session, world.songpa.id)
    assert world.songpa.id in sla._rules
