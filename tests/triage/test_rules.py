"""Routing rules beat the model and say which rule decided."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases.models import Case, CaseStatus
from sotong.errors import InvalidInput, NotFound, PermissionDenied
from sotong.orgs import actions as org_actions
from sotong.triage import actions, model_store, rule_actions
from sotong.triage.models import RuleKind
from tests.factories import World, new_case
from tests.triage.helpers import tiny_model


@pytest.fixture(autouse=True)
def _tiny_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_store, "default_model", tiny_model)


def test_keyword_rule_beats_a_confident_model(session: Session, world: World) -> None:
    admin = world.actor(world.admin)
    rule = rule_actions.create_rule(
        session, actor=admin, org_id=world.songpa.id, name="축제 소음은 청소과", kind=RuleKind.keyword,
        pattern="축제, 버스킹", department_id=world.cleaning.id,
    )  # fmt: skip
    case = new_case(session, world, text="보도블럭이 깨졌어요 축제 끝나고 보수 부탁드립니다")
    result = actions.triage_case(session, case_id=case.id)
    session.refresh(case)
    assert result.rule_id == rule.id and result.auto_routed
    assert case.department_id == world.cleaning.id
    assert "축제" in result.explanation and "축제 소음은 청소과" in result.decided_by


def test_channel_account_rule(session: Session, world: World) -> None:
    rule_actions.create_rule(
        session, actor=world.actor(world.admin), org_id=world.songpa.id, name="마스토돈은 도로과",
        kind=RuleKind.channel_account, channel_account_id=world.x_account.id, department_id=world.roads.id,
    )  # fmt: skip
    case = new_case(session, world, text="골목에 쓰레기가 쌓였어요")
    actions.triage_case(session, case_id=case.id)
    session.refresh(case)
    assert case.department_id == world.roads.id


def test_place_rule_transfers_to_the_competent_organisation(session: Session, world: World) -> None:
    rule_actions.create_rule(
        session, actor=world.actor(world.admin), org_id=world.songpa.id, name="올림픽대로는 시 관리",
        kind=RuleKind.place, pattern="올림픽대로, 강변북로", target_org_id=world.seoul.id,
    )  # fmt: skip
    case = new_case(session, world, text="올림픽 대로 잠실 구간에 포트홀이 있어요")
    result = actions.triage_case(session, case_id=case.id)
    session.refresh(case)
    assert case.status is CaseStatus.transferred_out and result.auto_routed
    moved = session.get(Case, case.transferred_to_case_id)
    assert moved is not None and moved.org_id == world.seoul.id


def test_disabled_rules_do_not_fire(session: Session, world: World) -> None:
    admin = world.actor(world.admin)
    rule = rule_actions.create_rule(
        session, actor=admin, org_id=world.songpa.id, name="x", kind=RuleKind.keyword, pattern="보도블럭",
        department_id=world.cleaning.id,
    )  # fmt: skip
    rule_actions.set_rule_enabled(session, actor=admin, rule_id=rule.id, enabled=False)
    world.songpa.auto_route_threshold = 0.5
    session.commit()
    case = new_case(session, world, text="보도블럭이 깨져서 위험합니다 보수 부탁드립니다")
    result = actions.triage_case(session, case_id=case.id)
    assert result.rule_id is None and result.decided_by.startswith("model")


def test_only_admins_edit_rules_and_bad_rules_are_refused(session: Session, world: World) -> None:
    with pytest.raises(PermissionDenied):
        rule_actions.create_rule(
            session, actor=world.actor(world.operator), org_id=world.songpa.id, name="x", kind=RuleKind.keyword,
            pattern="a", department_id=world.roads.id,
        )  # fmt: skip
    with pytest.raises(InvalidInput):
        rule_actions.create_rule(
            session, actor=CLI, org_id=world.songpa.id, name="x", kind=RuleKind.regex, pattern="(",
            department_id=world.roads.id,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("department", "unknown department"),
        ("category", "unknown category"),
        ("channel_account", "unknown channel account"),
        ("target_org", "unknown organisation"),
    ],
)
def test_a_rule_never_points_into_another_organisation(
    session: Session, world: World, target: str, message: str
) -> None:
    # Transferring to another organisation (이송) is allowed; its departments, categories and accounts are not ours.
    seoul_category = org_actions.create_category(
        session, actor=CLI, org_id=world.seoul.id, code="seoul-roads", name="도로", department_id=world.seoul_dept.id
    )
    fields: dict[str, int] = {
        "department": {"department_id": world.seoul_dept.id},
        "category": {"category_id": seoul_category.id},
        "channel_account": {"channel_account_id": world.seoul_x_account.id, "department_id": world.roads.id},
        "target_org": {"target_org_id": 999_999},
    }[target]
    kind = RuleKind.channel_account if target == "channel_account" else RuleKind.keyword
    pattern = None if target == "channel_account" else "보도블럭"
    admin = world.actor(world.admin)
    with pytest.raises(NotFound, match=message):
        rule_actions.create_rule(
            session, actor=admin, org_id=world.songpa.id, name="x", kind=kind, pattern=pattern, **fields
        )
    rule = rule_actions.create_rule(
        session, actor=admin, org_id=world.songpa.id, name="y", kind=RuleKind.keyword, pattern="보도블럭",
        department_id=world.roads.id,
    )  # fmt: skip
    with pytest.raises(NotFound, match=message):
        rule_actions.update_rule(session, actor=admin, rule_id=rule.id, name="y", kind=kind, pattern=pattern, **fields)
