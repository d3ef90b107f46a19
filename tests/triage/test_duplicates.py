"""Follow-ups of the same citizen join their open case; many citizens on one topic are linked to one case."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from sotong.cases.models import CaseStatus, Message, RejectReason
from sotong.triage import actions, model_store
from sotong.triage.duplicates import FOLLOW_UP, SAME_TOPIC, DuplicateIndex, OpenCase
from tests.factories import World, new_case
from tests.triage.helpers import tiny_model

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def test_index_finds_follow_ups_and_same_topic_reports() -> None:
    index = DuplicateIndex(
        [
            OpenCase(1, "석촌호수 동호 입구 가로등이 꺼져 있어요", NOW, "@kim"),
            OpenCase(2, "가락시장 음식물 쓰레기 수거가 안 됩니다", NOW, "@lee"),
        ]
    )
    later = NOW + dt.timedelta(hours=5)
    own = index.find("아직도 가로등 안 고쳐졌어요", at=later, author_handle="@kim")
    assert own is not None and own.case_id == 1 and own.kind == FOLLOW_UP
    other = index.find("석촌호수동호입구 가로등이 꺼져있네요", at=later, author_handle="@park")
    assert other is not None and other.case_id == 1 and other.kind == SAME_TOPIC
    assert index.find("어린이집 입소 대기 문의", at=later, author_handle="@park") is None
    too_late = index.find("석촌호수 동호 입구 가로등이 꺼져 있어요", at=NOW + dt.timedelta(days=10), author_handle="@x")
    assert too_late is None


def test_nearby_place_lowers_the_bar() -> None:
    index = DuplicateIndex([OpenCase(1, "여기 횡단보도 신호등 고장", NOW, "@a", 37.5110, 127.0980)])
    text = "신호등이 고장났어요 위험"
    far = index.find(text, at=NOW, author_handle="@b", latitude=37.60, longitude=127.20)
    near = index.find(text, at=NOW, author_handle="@b", latitude=37.5111, longitude=127.0981)
    assert far is None and near is not None and near.kind == SAME_TOPIC


@pytest.fixture(autouse=True)
def _tiny_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_store, "default_model", tiny_model)


def test_same_citizen_follow_up_joins_the_open_case(session: Session, world: World) -> None:
    first = new_case(session, world, text="오금로 보도블럭이 깨져서 위험합니다", author="@citizen_kim")
    second = new_case(
        session, world, text="오금로 보도블럭 아직 그대로네요 빨리 보수 부탁드려요", author="@citizen_kim"
    )
    result = actions.triage_case(session, case_id=second.id)
    session.refresh(second)
    assert result.duplicate_kind == FOLLOW_UP and result.duplicate_of_case_id == first.id
    assert second.status is CaseStatus.rejected and second.reject_reason is RejectReason.duplicate
    messages = session.query(Message).filter(Message.case_id == first.id).all()
    assert len(messages) == 2


def test_another_citizen_on_the_same_topic_follows_the_first_case(session: Session, world: World) -> None:
    first = new_case(session, world, text="석촌호수 동호 입구 가로등이 일주일째 꺼져 있어요", author="@a")
    from sotong.actors import Actor
    from sotong.cases import actions as case_actions
    from sotong.cases.models import ComplaintType

    operator = Actor.for_user(world.operator)
    case_actions.triage(
        session, actor=operator, case_id=first.id, complaint_type=ComplaintType.other, department_id=world.cleaning.id
    )
    second = new_case(session, world, text="석촌호수 동호입구 가로등이 꺼져있어요", author="@b")
    result = actions.triage_case(session, case_id=second.id)
    session.refresh(second)
    assert result.duplicate_kind == SAME_TOPIC and result.duplicate_of_case_id == first.id
    assert second.department_id == world.cleaning.id and result.auto_routed
    assert second.status is CaseStatus.triaged  # each citizen still gets an answer
