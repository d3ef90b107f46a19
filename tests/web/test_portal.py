"""The public portal: only masked text, only public cases, the public timeline, and the web form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import CaseStatus, ComplaintType
from tests.factories import World, case_in_status, new_case
from tests.web.conftest import PNG, csrf_from

RAW = "석촌호수 앞 보도블럭 파손, 연락은 010-1234-5678 김철수"


def test_portal_never_shows_the_raw_text(client: TestClient, world: World, session: Session) -> None:
    case = new_case(session, world, text=RAW)
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
    private = new_case(session, world, text="비공개 민원")
    actions.triage(session, actor=op, case_id=private.id, complaint_type=ComplaintType.other, is_public=False)
    whistle = new_case(session, world, text="공익신고 내용")
    actions.triage(session, actor=op, case_id=whistle.id, complaint_type=ComplaintType.other, is_whistleblower=True)
    hidden = case_in_status(session, world, CaseStatus.rejected)
    shown = new_case(session, world, text="공개 민원입니다")
    listing = client.get("/").text
    assert shown.number in listing
    for case in (private, whistle, hidden):
        assert case.number not in listing
        assert client.get(f"/cases/{case.number}").status_code == 404


def test_report_form_receipt_and_tracking(client: TestClient, world: World) -> None:
    form_page = client.get("/report?org=songpa")
    assert form_page.status_code == 200
    submission_id = re.search(r'name="submission_id" value="([^"]+)"', form_page.text)
    assert submission_id
    data = {
        "csrf_token": csrf_from(form_page.text),
        "submission_id": submission_id.group(1),
        "org": "songpa",
        "text": "가로등이 꺼져 있어요. 010-1234-5678",
        "email": "citizen@example.org",
    }
    receipt = client.post("/report", data=data, files=[("photos", ("lamp.png", PNG, "image/png"))])
    assert receipt.status_code == 200, receipt.text
    number = re.search(r'class="case-number">([^<]+)<', receipt.text)
    assert number
    assert f"/cases/{number.group(1)}" in receipt.text
    tracking = client.get(f"/cases/{number.group(1)}")
    assert tracking.status_code == 200
    assert "010-1234-5678" not in tracking.text
    again = client.post("/report", data=data)
    assert again.status_code == 409
    assert number.group(1) in again.text


def test_report_without_csrf_is_refused(client: TestClient, world: World) -> None:
    client.get("/report")
    response = client.post("/report", data={"org": "songpa", "text": "x", "submission_id": "abc"})
    assert response.status_code == 403


def test_report_shows_errors_on_the_form(client: TestClient, world: World) -> None:
    page = client.get("/report")
    data = {"csrf_token": csrf_from(page.text), "submission_id": "s-1", "org": "songpa", "text": "사진 첨부"}
    response = client.post("/report", data=data, files=[("photos", ("x.txt", b"hello", "text/plain"))])
    assert response.status_code == 422
    assert "사진 첨부" in response.text  # what the citizen typed is kept
    assert 'name="submission_id" value="s-1"' in response.text


def test_media_is_never_public(client: TestClient, world: World) -> None:
    assert client.get("/staff/media/1", follow_redirects=False).status_code == 303
