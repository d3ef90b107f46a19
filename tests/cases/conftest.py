"""Case tests: a case of 도로과 in progress, and a standard answer (with required slots) to answer it with."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.cases.answers import actions
from sotong.cases.answers.models import AnswerTemplate
from sotong.cases.models import Case, CaseStatus
from tests.factories import World, case_in_status

REPAIRED = (
    "{citizen} 님, {department}입니다. 접수번호 {case_number} 민원에 답변드립니다.\n"
    "- 조치 내용: [[조치 내용]]\n"
    "- 조치 일시: [[조치 일시]]\n"
    "- 담당자 연락처: [[담당자 연락처]]\n"
    "처리기한 {deadline}, 오늘 {today}. {officer} 드림. {tracking_url}"
)


@pytest.fixture
def template(session: Session, world: World) -> AnswerTemplate:
    return actions.create_template(
        session,
        actor=Actor.for_user(world.admin),
        org_id=world.songpa.id,
        title="도로 파손 보수 완료",
        body=REPAIRED,
        category_id=world.pothole.id,
        required_elements=["조치 내용", "조치 일시", "담당자 연락처"],
    )


@pytest.fixture
def case(session: Session, world: World) -> Case:
    """A pothole case on Songpa's X account, assigned to choi.officer of 도로과 and in progress."""
    return case_in_status(session, world, CaseStatus.in_progress)
