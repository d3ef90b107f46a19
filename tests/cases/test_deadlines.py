"""Statutory deadline arithmetic on the real Korean calendar (holidays from the `holidays` package)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases import actions
from sotong.cases.deadlines import actions as deadline_actions
from sotong.cases.deadlines import sla
from sotong.cases.deadlines.sla import BusinessCalendar, add_period, korean_public_holidays
from sotong.cases.models import ComplaintType, PeriodUnit
from sotong.errors import DeadlineError, InvalidInput
from sotong.orgs.models import Channel
from tests.factories import World, inbound

KST = ZoneInfo("Asia/Seoul")
CAL = BusinessCalendar.from_hours()  # 09:00-18:00, lunch 12:00-13:00 excluded


def kst(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=KST)


def test_friday_before_chuseok_at_1730() -> None:
    # 2024: Chuseok holidays Mon 16 - Wed 18 September. 30 minutes on Friday, the rest on Thursday.
    assert add_period(CAL, kst(2024, 9, 13, 17, 30), 3, PeriodUnit.hours) == kst(2024, 9, 19, 11, 30)


def test_chuseok_with_substitute_holiday() -> None:
    # 2025: 개천절 Fri 3 Oct, Chuseok Sun 5 - Tue 7, substitute holiday Wed 8, 한글날 Thu 9 October.
    assert dt.date(2025, 10, 8) in korean_public_holidays(2025)
    assert add_period(CAL, kst(2025, 10, 2, 17, 30), 3, PeriodUnit.hours) == kst(2025, 10, 10, 11, 30)


def test_substitute_holiday_for_childrens_day() -> None:
    # Children's Day 2024 fell on a Sunday: Monday 6 May was the substitute holiday.
    assert dt.date(2024, 5, 6) in korean_public_holidays(2024)
    assert add_period(CAL, kst(2024, 5, 3, 16, 0), 3, PeriodUnit.hours) == kst(2024, 5, 7, 10, 0)


def test_election_day_is_a_holiday() -> None:
    # The 9th local elections, Wednesday 3 June 2026.
    assert dt.date(2026, 6, 3) in korean_public_holidays(2026)
    assert add_period(CAL, kst(2026, 6, 2, 17, 0), 3, PeriodUnit.hours) == kst(2026, 6, 4, 11, 0)


def test_fourteen_days_over_new_year() -> None:
    # Counted in days, the day of receipt included; Christmas, weekends and 1 January skipped.
    assert add_period(CAL, kst(2025, 12, 24, 10, 0), 14, PeriodUnit.days) == kst(2026, 1, 14, 18, 0)


def test_seven_days_first_day_included() -> None:
    # Monday 2026-11-23: Mon..Fri is 5, next Mon 6, Tue 7.
    assert add_period(CAL, kst(2026, 11, 23, 9, 5), 7, PeriodUnit.days) == kst(2026, 12, 1, 18, 0)


def test_receipt_after_hours_counts_from_next_opening() -> None:
    assert add_period(CAL, kst(2026, 11, 23, 19, 0), 7, PeriodUnit.days) == kst(2026, 12, 2, 18, 0)
    # Saturday night: the clock starts Monday 09:00.
    assert add_period(CAL, kst(2026, 11, 21, 22, 0), 3, PeriodUnit.hours) == kst(2026, 11, 23, 12, 0)


def test_five_days_or_less_are_counted_in_working_hours() -> None:
    # 2 days = 16 working hours; Monday 10:00 + 16 h -> Wednesday 10:00.
    assert add_period(CAL, kst(2026, 11, 23, 10, 0), 2, PeriodUnit.days) == kst(2026, 11, 25, 10, 0)
    assert add_period(CAL, kst(2026, 11, 23, 10, 0), 5, PeriodUnit.days) == kst(2026, 11, 30, 10, 0)


def test_lunch_is_excluded_when_configured() -> None:
    assert CAL.add_working_minutes(kst(2026, 11, 23, 11, 30), 60) == kst(2026, 11, 23, 13, 30)
    no_lunch = BusinessCalendar.from_hours(lunch_start=None, lunch_end=None)
    assert no_lunch.add_working_minutes(kst(2026, 11, 23, 11, 30), 60) == kst(2026, 11, 23, 12, 30)


def test_custom_business_hours() -> None:
    early = BusinessCalendar.from_hours(work_start=dt.time(8, 0), work_end=dt.time(17, 0))
    assert add_period(early, kst(2026, 11, 23, 16, 30), 3, PeriodUnit.hours) == kst(2026, 11, 24, 10, 30)


def test_closure_day_is_skipped() -> None:
    closed = BusinessCalendar.from_hours(closure_days=frozenset({dt.date(2026, 11, 24)}))
    assert add_period(closed, kst(2026, 11, 23, 17, 0), 3, PeriodUnit.hours) == kst(2026, 11, 25, 11, 0)


def test_a_calendar_without_working_time_cannot_be_satisfied() -> None:
    start = dt.date(2026, 11, 23)
    every_day = frozenset(start + dt.timedelta(days=i) for i in range(4 * 366))
    closed = BusinessCalendar.from_hours(closure_days=every_day)
    with pytest.raises(DeadlineError, match="no working time"):
        add_period(closed, kst(2026, 11, 23, 9, 0), 3, PeriodUnit.hours)
    with pytest.raises(DeadlineError):
        BusinessCalendar.from_hours(work_start=dt.time(18, 0), work_end=dt.time(9, 0))


def test_working_minutes_between() -> None:
    assert CAL.working_minutes_between(kst(2024, 9, 13, 17, 30), kst(2024, 9, 19, 11, 30)) == 180
    assert CAL.working_minutes_between(kst(2024, 9, 19, 11, 30), kst(2024, 9, 13, 17, 30)) == 0


def test_extension_is_at_most_the_original_period() -> None:
    due = kst(2026, 12, 1, 18, 0)
    extended = sla.extended_due(
        CAL, current_due=due, original_value=7, original_unit=PeriodUnit.days, value=7, unit=PeriodUnit.days
    )
    assert extended == kst(2026, 12, 10, 18, 0)
    with pytest.raises(DeadlineError):
        sla.extended_due(
            CAL, current_due=due, original_value=3, original_unit=PeriodUnit.hours, value=1, unit=PeriodUnit.days
        )


def test_statutory_periods_per_type(session: Session, world: World) -> None:
    received = kst(2026, 11, 16, 10, 0)  # Monday (in the past: intake never dates a message in the future)
    expected = {
        ComplaintType.other: kst(2026, 11, 16, 14, 0),  # 3 working hours, lunch excluded
        ComplaintType.inquiry: kst(2026, 11, 24, 18, 0),
        ComplaintType.grievance: kst(2026, 11, 24, 18, 0),
        ComplaintType.suggestion: kst(2026, 12, 3, 18, 0),
        ComplaintType.inquiry_law: kst(2026, 12, 3, 18, 0),
    }
    for complaint_type, due in expected.items():
        case = actions.receive_message(
            session, account_id=world.x_account.id, inbound=inbound(received_at=received)
        ).case
        case = actions.triage(
            session, actor=world.actor(world.operator), case_id=case.id, complaint_type=complaint_type
        )
        assert case.due_at == due, complaint_type
        assert case.first_response_due_at == kst(2026, 11, 16, 11, 0)


def test_policies_match_by_channel_category_and_priority(session: Session, world: World) -> None:
    org = world.songpa.id
    deadline_actions.create_sla_policy(
        session,
        actor=CLI,
        org_id=org,
        name="X 30분 답변",
        priority=50,
        channel=Channel.x,
        answer_target_minutes=30,
        first_response_minutes=10,
    )
    deadline_actions.create_sla_policy(
        session,
        actor=CLI,
        org_id=org,
        name="도로 파손 3일",
        priority=10,
        category_id=world.pothole.id,
        resolution_value=3,
        resolution_unit=PeriodUnit.days,
    )
    received = kst(2026, 11, 16, 10, 0)
    case = actions.receive_message(session, account_id=world.x_account.id, inbound=inbound(received_at=received)).case
    assert case.answer_target_at == kst(2026, 11, 16, 10, 30)  # Daejeon-style 30-minute target on X
    assert case.first_response_due_at == kst(2026, 11, 16, 10, 10)
    case = actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=case.id,
        complaint_type=ComplaintType.grievance,
        category_id=world.pothole.id,
    )
    # The category policy has the higher priority: 3 days = 24 working hours.
    assert case.period_value == 3 and case.due_at == kst(2026, 11, 19, 10, 0) and case.answer_target_at is None
    other = actions.receive_message(
        session, account_id=world.mastodon_account.id, inbound=inbound(received_at=received)
    ).case
    assert other.answer_target_at is None and other.sla_policy_id is None


def test_organisation_closure_day_and_hours_apply(session: Session, world: World) -> None:
    deadline_actions.add_closure_day(
        session, actor=CLI, org_id=world.songpa.id, day=dt.date(2026, 11, 17), reason="구민의 날"
    )
    deadline_actions.update_business_hours(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        work_start=dt.time(8, 0),
        work_end=dt.time(17, 0),
        lunch_start=dt.time(12, 0),
        lunch_end=dt.time(13, 0),
    )
    case = actions.receive_message(
        session, account_id=world.x_account.id, inbound=inbound(received_at=kst(2026, 11, 16, 16, 0))
    ).case
    assert case.due_at == kst(2026, 11, 18, 10, 0)
    with pytest.raises(InvalidInput):
        deadline_actions.add_closure_day(
            session, actor=CLI, org_id=world.songpa.id, day=dt.date(2026, 11, 17), reason="x"
        )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"resolution_value": 0, "resolution_unit": PeriodUnit.days}, "positive"),
        ({"resolution_value": 3}, "both"),
        ({"resolution_value": 400, "resolution_unit": PeriodUnit.days}, "year"),
        ({"resolution_value": 48, "resolution_unit": PeriodUnit.hours}, "days"),
        ({"answer_target_minutes": -5}, "positive"),
    ],
)
def test_policies_that_cannot_be_satisfied_are_refused(
    session: Session, world: World, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        deadline_actions.create_sla_policy(session, actor=CLI, org_id=world.songpa.id, name="bad", **kwargs)  # type: ignore[arg-type]
