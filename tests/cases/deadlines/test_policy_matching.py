"""Which SLA policy applies to a case: every condition a policy sets must hold, an unset one matches anything."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases import actions
from sotong.cases.deadlines import actions as deadline_actions
from sotong.cases.deadlines.sla import PolicyRule
from sotong.cases.models import ComplaintType, PeriodUnit
from sotong.orgs.models import Channel
from tests.factories import World, inbound

KST = ZoneInfo("Asia/Seoul")

CASE = {"channel": Channel.x, "category_id": 7, "department_id": 3, "complaint_type": ComplaintType.grievance}


def rule(**conditions: object) -> PolicyRule:
    fields: dict[str, object] = {
        "id": 1,
        "name": "정책",
        "channel": None,
        "category_id": None,
        "department_id": None,
        "complaint_type": None,
        "resolution_value": None,
        "resolution_unit": None,
        "first_response_minutes": None,
        "answer_target_minutes": None,
    }
    fields.update(conditions)
    return PolicyRule(**fields)  # type: ignore[arg-type]


def test_a_policy_without_conditions_matches_every_case() -> None:
    assert rule().matches(**CASE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("condition", "same", "other"),
    [
        ("channel", Channel.x, Channel.mastodon),
        ("category_id", 7, 8),
        ("department_id", 3, 4),
        ("complaint_type", ComplaintType.grievance.value, ComplaintType.inquiry.value),
    ],
)
def test_each_condition_is_checked(condition: str, same: object, other: object) -> None:
    assert rule(**{condition: same}).matches(**CASE)  # type: ignore[arg-type]
    assert not rule(**{condition: other}).matches(**CASE)  # type: ignore[arg-type]


def test_a_case_without_a_department_does_not_match_a_department_policy() -> None:
    assert not rule(department_id=3).matches(**{**CASE, "department_id": None})  # type: ignore[arg-type]


def test_all_conditions_must_hold_together() -> None:
    policy = rule(channel=Channel.x, category_id=7, department_id=3, complaint_type="grievance")
    assert policy.matches(**CASE)  # type: ignore[arg-type]
    for key, value in (("channel", Channel.email), ("category_id", 1), ("department_id", 9)):
        assert not policy.matches(**{**CASE, key: value})  # type: ignore[arg-type]
    assert not policy.matches(**{**CASE, "complaint_type": ComplaintType.opinion})  # type: ignore[arg-type]


def test_a_department_policy_applies_once_triage_gives_the_department(session: Session, world: World) -> None:
    deadline_actions.create_sla_policy(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        name="도로과 2일",
        department_id=world.roads.id,
        complaint_type=ComplaintType.grievance,
        resolution_value=2,
        resolution_unit=PeriodUnit.days,
    )
    received = dt.datetime(2026, 11, 16, 10, 0, tzinfo=KST)  # a Monday
    case = actions.receive_message(session, account_id=world.x_account.id, inbound=inbound(received_at=received)).case
    assert case.sla_policy_id is None  # no department yet
    case = actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=case.id,
        complaint_type=ComplaintType.grievance,
        category_id=world.pothole.id,  # 도로 파손 → 도로과
    )
    assert case.department_id == world.roads.id and case.sla_policy_id is not None
    assert case.due_at == dt.datetime(2026, 11, 18, 10, 0, tzinfo=KST)  # 2 days = 16 working hours


def test_the_organisations_lunch_break_is_not_working_time(session: Session, world: World) -> None:
    deadline_actions.update_business_hours(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        work_start=dt.time(9, 0),
        work_end=dt.time(18, 0),
        lunch_start=dt.time(11, 30),
        lunch_end=dt.time(13, 30),
    )
    received = dt.datetime(2026, 11, 16, 11, 0, tzinfo=KST)
    case = actions.receive_message(session, account_id=world.x_account.id, inbound=inbound(received_at=received)).case
    # 3 working hours (즉시 처리): 11:00-11:30, then 13:30-16:00.
    assert case.period_unit is PeriodUnit.hours and case.due_at == dt.datetime(2026, 11, 16, 16, 0, tzinfo=KST)
