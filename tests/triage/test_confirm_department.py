"""확정 without a department asks for one: a confirmed complaint never sits in 분류 in nobody's queue."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from sotong.cases.models import CaseStatus
from sotong.errors import InvalidInput
from sotong.triage import actions, review
from tests.factories import World, new_case


def test_confirming_a_suggestion_without_a_department_asks_for_one(session: Session, world: World) -> None:
    case = new_case(session, world, text="아파트 앞 불법 주정차 차량 때문에 통행이 어렵습니다 단속해 주세요")
    result = actions.triage_case(session, case_id=case.id)
    assert result.relevant and result.department_id is None  # 'parking': no such category in this world
    operator = world.actor(world.operator)
    with pytest.raises(InvalidInput) as refused:
        review.confirm(session, actor=operator, case_id=case.id)
    assert refused.value.extra["code"] == "department_required"
    session.rollback()
    session.refresh(case)
    assert case.status is CaseStatus.received
    review.confirm(session, actor=operator, case_id=case.id, department_id=world.cleaning.id)
    session.refresh(case)
    assert (case.status, case.department_id) == (CaseStatus.triaged, world.cleaning.id)
