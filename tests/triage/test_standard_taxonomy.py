"""Routing works on day one: the seed model predicts the shipped standard taxonomy, an organisation's own
categories mapped onto it are routed, and a case that waits says the true reason."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases.models import CaseStatus, ComplaintType
from sotong.orgs import actions as org_actions
from sotong.orgs.taxonomy import standard_categories, standard_codes
from sotong.triage import actions
from sotong.triage.pipeline import TriageModel
from tests.factories import World, new_case

PARKING = "아파트 앞 불법 주정차 차량 때문에 통행이 어렵습니다 단속해 주세요"


def test_the_seed_model_predicts_exactly_the_standard_codes(seed_model: TriageModel) -> None:
    assert sorted(seed_model.categories) == sorted(standard_codes())


def test_the_taxonomy_names_each_category_and_its_statutory_type() -> None:
    codes = [c.code for c in standard_categories()]
    assert len(codes) == len(set(codes)) >= 15
    for category in standard_categories():
        ComplaintType(category.complaint_type)  # a statutory type the deadlines know
        assert category.name and category.department


def test_a_category_mapped_onto_a_standard_code_is_routed(session: Session, world: World) -> None:
    parking = org_actions.create_category(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        code="illegal-parking",
        name="불법 주정차",
        department_id=world.cleaning.id,
        standard_code="parking",
    )
    world.songpa.auto_route_threshold = 0.5
    session.commit()
    case = new_case(session, world, text=PARKING)
    result = actions.triage_case(session, case_id=case.id)
    session.refresh(case)
    assert result.candidates[0]["code"] == "parking"
    assert result.auto_routed and case.status is CaseStatus.triaged
    assert (case.category_id, case.department_id) == (parking.id, world.cleaning.id)


def test_a_label_matching_no_category_says_so_rather_than_blame_confidence(session: Session, world: World) -> None:
    world.songpa.auto_route_threshold = 0.5
    session.commit()
    case = new_case(session, world, text=PARKING)
    result = actions.triage_case(session, case_id=case.id)
    assert not result.auto_routed
    assert "'parking'에 해당하는 분야가 이 기관에 없음" in result.explanation
    assert "신뢰도" not in result.explanation.split("; ")[-1]


def test_importing_the_taxonomy_gives_a_new_organisation_routing(session: Session, world: World) -> None:
    created = org_actions.import_standard_categories(
        session, actor=CLI, org_id=world.songpa.id, create_departments=True
    )
    assert {c.code for c in created} >= {"parking", "streetlight", "noise", "welfare"}
    assert all(c.department_id is not None for c in created)
    again = org_actions.import_standard_categories(session, actor=CLI, org_id=world.songpa.id)
    assert again == []
    case = new_case(session, world, text=PARKING)
    result = actions.triage_case(session, case_id=case.id)
    session.refresh(case)
    assert result.auto_routed and case.department_id is not None
