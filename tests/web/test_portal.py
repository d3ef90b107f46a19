"""The public portal: only masked text, only public cases, the public timeline, and the web form."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import CaseStatus, ComplaintType
from tests.factories import World, case_in_status, new_case, publish

RAW = "석촌호수 앞 보도블럭 파손, 연락은 010-1234-5678 김철수"


def test_portal_never_shows_the_raw_text(client: TestClient, world: World, session: Session) -> None:
    case = publish(session, world, new_case(session, world, text=RAW))
    op = world.actor(world.operator)
    actions.triage(session, actor=op, case_id=case.id, complaint_type=ComplaintType.other, category_id=world.pothole.id)
    actions.assign(session, actor=world.actor(world.manager), case_id=case.id, officer_id=world.officer.id)
    actions.answer(session, actor=world.actor(world.officer), case_id=case.id, body="010-9999-8888 로 연락드렸습니다.")
    for path in ("/", f"/cases/{case.number}"):
        page = client.get(path)
        assert page.status_code == 200
        assert "010-1234-5678" not in page.text
        assert "010-9999-8888" not in page.text
        assert "[전화번호]" in page.text
        assert case.number in page.text
    tracking = client.get(f"/cases/{case.number}").text
    assert "접수" in tracking and "답변" in tracking
    assert world.officer.username not in tracking  # staff names stay internal


def test_non_public_whistleblower_and_hidden_cases_are_not_listed(
    client: TestClient, world: World, session: Session
) -> None:
    op = world.actor(world.operator)
    private = publish(session, world, new_case(session, world, text="비공개 민원"))
    actions.triage(session, actor=op, case_id=private.id, complaint_type=ComplaintType.other, is_public=False)
    whistle = publish(session, world, new_case(session, world, text="공익신고 내용"))
    actions.triage(session, actor=op, case_id=whistle.id, complaint_type=ComplaintType.other, is_whistleblower=True)
    hidden = case_in_status(session, world, CaseStatus.rejected)
    shown = publish(session, world, new_case(session, world, text="공개 민원입니다"))
    waiting = new_case(session, world, text="아직 공개 검토 중인 민원입니다")
    listing = client.get("/").text
    assert shown.number in listing
    for case in (private, whistle, hidden, waiting):
        assert case.number not in listing
        assert client.get(f"/cases/{case.number}").status_code == 404


# The report form's tests (receipt, CSRF, errors with the values kept) are in tests/channels/test_webform*.py.


def test_media_is_never_public(client: TestClient, world: World) -> None:
    assert client.get("/staff/media/1", follow_redirects=False).status_code == 303
