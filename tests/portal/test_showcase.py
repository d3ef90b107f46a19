"""Staff curate the best answers from the staff case page; /best shows them while the case stays public."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import ComplaintType
from sotong.errors import IllegalTransition, PermissionDenied
from sotong.portal import actions as portal_actions
from tests.factories import World
from tests.portal.helpers import answered, received
from tests.web.conftest import login


def test_button_on_the_staff_page_adds_and_removes(client: TestClient, session: Session, world: World) -> None:
    case = answered(session, world, "가로등이 꺼졌어요", "한 시간 만에 교체했습니다")
    assert case.number not in client.get("/best").text
    csrf = login(client, world.operator)
    staff_page = client.get(f"/staff/cases/{case.number}").text
    assert f'action="/staff/cases/{case.number}/showcase"' in staff_page
    response = client.post(
        f"/staff/cases/{case.number}/showcase",
        data={"on": "1", "note": "빠르고 친절한 답변", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    best = client.get("/best").text
    assert case.number in best and "빠르고 친절한 답변" in best and "한 시간 만에 교체했습니다" in best
    client.post(f"/staff/cases/{case.number}/showcase", data={"on": "0", "csrf_token": csrf})
    assert case.number not in client.get("/best").text


def test_only_curators_and_only_answered_public_cases(session: Session, world: World) -> None:
    case = answered(session, world, "가로등이 꺼졌어요", "교체했습니다")
    with pytest.raises(PermissionDenied):
        portal_actions.set_showcase(session, actor=world.actor(world.officer), case_id=case.id, on=True)
    fresh = received(session, world, "아직 답변 전")
    with pytest.raises(IllegalTransition):
        portal_actions.set_showcase(session, actor=world.actor(world.operator), case_id=fresh.id, on=True)


def test_a_case_made_private_leaves_the_showcase(client: TestClient, session: Session, world: World) -> None:
    op = world.actor(world.operator)
    case = answered(session, world, "가로등이 꺼졌어요", "교체했습니다")
    portal_actions.set_showcase(session, actor=op, case_id=case.id, on=True)
    assert case.number in client.get("/best").text
    actions.reopen(session, actor=op, case_id=case.id, reason="재확인")
    actions.triage(session, actor=op, case_id=case.id, complaint_type=ComplaintType.other, is_public=False)
    assert case.number not in client.get("/best").text
