"""Above the organisation's threshold a case is routed through the real case actions; below it waits."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.audit.models import AuditEvent
from sotong.cases import actions as case_actions
from sotong.cases.models import CaseStatus
from sotong.orgs import actions as org_actions
from sotong.triage import actions, model_store
from sotong.triage.models import TriageResult
from tests.factories import World, new_case
from tests.triage.helpers import tiny_model


@pytest.fixture(autouse=True)
def _tiny_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_store, "default_model", tiny_model)


def test_confident_case_is_routed_by_the_system(session: Session, world: World) -> None:
    world.songpa.auto_route_threshold = 0.5
    session.commit()
    case = new_case(session, world, text="석촌호수 앞 보도블럭이 깨져서 위험합니다 보수 부탁드립니다")
    result = actions.triage_case(session, case_id=case.id)
    session.refresh(case)
    assert result.auto_routed
    assert case.status is CaseStatus.triaged
    assert case.department_id == world.roads.id
    assert case.category_id == world.pothole.id
    assert result.candidates[0]["code"] == "road-damage"
    assert result.decided_by.startswith("model")
    triaged = session.scalar(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "case.triaged")
    )
    assert triaged is not None and triaged.actor_kind == "system"


def test_uncertain_case_waits_for_an_operator(session: Session, world: World) -> None:
    world.songpa.auto_route_threshold = 0.99
    session.commit()
    case = new_case(session, world, text="민원 접수합니다 확인 부탁드려요")
    result = actions.triage_case(session, case_id=case.id)
    session.refresh(case)
    assert not result.auto_routed
    assert case.status is CaseStatus.received
    assert "운영자 확인 대기" in result.explanation
    assert len(result.candidates) == 2  # the tiny model knows two categories; top-3 shows what there is


def test_chatter_never_reaches_a_department(session: Session, world: World) -> None:
    world.songpa.auto_route_threshold = 0.0
    session.commit()
    case = new_case(session, world, text="구청장님 화이팅 👍👍")
    result = actions.triage_case(session, case_id=case.id)
    session.refresh(case)
    assert not result.relevant
    # Hidden at intake already (no receipt, no department); the pass agrees and routes nothing.
    assert case.status is CaseStatus.rejected and case.department_id is None


def test_category_maps_to_the_department_of_this_organisation(session: Session, world: World) -> None:
    org_actions.create_category(
        session, actor=CLI, org_id=world.songpa.id, code="waste", name="쓰레기", department_id=world.cleaning.id
    )
    world.songpa.auto_route_threshold = 0.5
    session.commit()
    case = new_case(session, world, text="골목에 쓰레기 무단투기가 심해서 냄새가 나요 치워주세요")
    result = actions.triage_case(session, case_id=case.id)
    session.refresh(case)
    assert result.department_id == world.cleaning.id
    assert case.department_id == world.cleaning.id
    stored = session.scalars(select(TriageResult).where(TriageResult.case_id == case.id)).all()
    assert len(stored) == 1


def test_a_follow_up_written_before_triage_does_not_stand_in_for_the_complaint(session: Session, world: World) -> None:
    # The citizen adds a line on the receipt's page before the worker's pass: triage still reads the complaint.
    world.songpa.auto_route_threshold = 0.5
    session.commit()
    case = new_case(session, world, text="석촌호수 앞 보도블럭이 깨져서 위험합니다 보수 부탁드립니다")
    assert case.citizen_token is not None
    case_actions.follow_up_from_portal(
        session,
        case_number=case.number,
        token=case.citizen_token,
        text="옆 골목에 쓰레기도 쌓여 냄새가 나요",
        submission_id="f-1",
    )
    result = actions.triage_case(session, case_id=case.id)
    session.refresh(case)
    assert result.candidates[0]["code"] == "road-damage"
    assert result.auto_routed and case.department_id == world.roads.id


def test_a_new_case_triaged_at_once_is_not_decided_again(session: Session, world: World) -> None:
    # The web form triages its case in the request; the worker's pass (or a second request) then leaves it alone.
    case = new_case(session, world, text="석촌호수 앞 보도블럭이 깨져서 위험합니다 보수 부탁드립니다")
    assert actions.triage_new_case(session, case_id=case.id) is not None
    assert actions.triage_new_case(session, case_id=case.id) is None
    assert actions.triage_pending(lambda: session) == 0
    assert len(session.scalars(select(TriageResult).where(TriageResult.case_id == case.id)).all()) == 1
