"""Which SLA policy applies to a case: every condition a policy sets must hold, an unset one matches anything."""

from __future__ import annotations

import pytest

from sotong.cases.deadlines.sla import PolicyRule
from sotong.cases.models import ComplaintType
from sotong.orgs.models import Channel

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
