"""Staff console pages for every role, action forms with flash messages, and attachments."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases import actions
from sotong.cases.inbound import InboundAttachment
from sotong.cases.models import Attachment, Case, CaseStatus, ComplaintType
from sotong.outbox.models import OutboxItem, OutboxStatus
from tests.factories import World, case_in_status, new_case
from tests.web.conftest import PNG, login

ROLES = ["admin", "operator", "manager", "officer", "viewer"]


@pytest.mark.parametrize("persona", ROLES)
def test_every_staff_page_renders_for_every_role(
    persona: str, client: TestClient, world: World, session: Session
) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)  # 도로과, visible to every persona here
    login(client, getattr(world, persona))
    home = client.get("/staff/")
    assert home.status_code == 200
    assert "상태별 민원" in home.text
    listing = client.get("/staff/cases", params={"status": "assigned", "overdue": "1", "q": "보도", "page": "1"})
    assert listing.status_code == 200
    assert client.get("/staff/cases").text.count(f">{case.number}</a>") == 1
    detail = client.get(f"/staff/cases/{case.number}")
    assert detail.status_code == 200
    assert case.body in detail.text  # staff see the raw text
    can_act = persona != "viewer"
    assert ('action="/staff/cases/' in detail.text) is can_act


def test_home_shows_my_cases_notifications_and_failed_deliveries(
    client: TestClient, world: World, session: Session
) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    item = session.scalar(select(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.kind == "receipt"))
    assert item is not None
    item.status, item.last_error = OutboxStatus.failed, "account suspended by the platform"
    session.commit()
    login(client, world.officer)
    home = client.get("/staff/").text
    assert "내 담당 민원" in home and case.number in home
    assert "account suspended" not in home  # officers do not see the delivery desk
    client.cookies.clear()
    login(client, world.operator)
    assert "account suspended by the platform" in client.get("/staff/").text


def test_console_action_runs_and_flashes(client: TestClient, world: World, session: Session) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    token = login(client, world.officer)
    response = client.post(f"/staff/cases/{case.number}/start", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "처리를 시작했습니다." in page.text and "처리했습니다" not in page.text.replace("처리를 시작했습니다", "")
    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.in_progress  # type: ignore[union-attr]


def test_console_answer_form(client: TestClient, world: World, session: Session) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)
    token = login(client, world.officer)
    page = client.post(
        f"/staff/cases/{case.number}/answer", data={"csrf_token": token, "body": "보수했습니다.", "public_body": ""}
    )
    assert page.status_code == 200
    assert "보수했습니다." in page.text
    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.answered  # type: ignore[union-attr]


def test_illegal_transition_is_a_flash_error_and_writes_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    case = case_in_status(session, world, CaseStatus.triaged)
    token = login(client, world.operator)
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    page = client.post(f"/staff/cases/{case.number}/close", data={"csrf_token": token})
    assert page.status_code == 200
    assert "flash-error" in page.text and "&#39;종결&#39;은 지금 상태(분류)에서는 할 수 없습니다." in page.text
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_invalid_form_is_a_flash_error(client: TestClient, world: World, session: Session) -> None:
    case = case_in_status(session, world, CaseStatus.triaged)
    token = login(client, world.operator)
    page = client.post(f"/staff/cases/{case.number}/hold", data={"csrf_token": token, "reason": ""})
    assert "flash-error" in page.text and "입력값을 확인하세요: 사유" in page.text
    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.triaged  # type: ignore[union-attr]


def test_viewer_cannot_act_from_the_console(client: TestClient, world: World, session: Session) -> None:
    case = case_in_status(session, world, CaseStatus.received)
    token = login(client, world.viewer)
    page = client.post(f"/staff/cases/{case.number}/triage", data={"csrf_token": token, "complaint_type": "inquiry"})
    assert "flash-error" in page.text
    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.received  # type: ignore[union-attr]


def test_console_form_without_csrf_is_403(client: TestClient, world: World, session: Session) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    login(client, world.officer)
    response = client.post(f"/staff/cases/{case.number}/start", data={})
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.assigned  # type: ignore[union-attr]


def test_transfer_out_of_sight_goes_back_to_the_list(client: TestClient, world: World, session: Session) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    token = login(client, world.manager)
    response = client.post(
        f"/staff/cases/{case.number}/transfer_department",
        data={"csrf_token": token, "department_id": str(world.cleaning.id), "reason": "청소 소관"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/staff/cases"


def test_unknown_case_and_action_are_404(client: TestClient, world: World, session: Session) -> None:
    case = case_in_status(session, world, CaseStatus.triaged)
    token = login(client, world.operator)
    assert client.get("/staff/cases/2026-송파-999999").status_code == 404
    assert client.post(f"/staff/cases/{case.number}/explode", data={"csrf_token": token}).status_code == 404


def test_attachments_are_served_to_staff_who_can_see_the_case(
    client: TestClient, world: World, session: Session
) -> None:
    case = actions.submit_web_form(
        session,
        org_slug="songpa",
        text="사진 첨부합니다",
        submission_id=str(uuid.uuid4()),
        attachments=(InboundAttachment(data=PNG, filename="hole.png"),),
    )
    attachment = session.scalar(select(Attachment))
    assert attachment is not None
    actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=case.id,
        complaint_type=ComplaintType.other,
        department_id=world.roads.id,
    )
    login(client, world.officer)
    response = client.get(f"/staff/media/{attachment.id}")
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert f"/staff/media/{attachment.id}" in client.get(f"/staff/cases/{case.number}").text
    client.cookies.clear()
    login(client, world.cleaning_officer)
    assert client.get(f"/staff/media/{attachment.id}").status_code == 404


def test_merge_form_on_the_case_page(client: TestClient, world: World, session: Session) -> None:
    main, duplicate = new_case(session, world), new_case(session, world, text="같은 민원 다시 올립니다")
    token = login(client, world.operator)
    assert f'action="/staff/cases/{duplicate.number}/merge"' in client.get(f"/staff/cases/{duplicate.number}").text
    page = client.post(f"/staff/cases/{duplicate.number}/merge", data={"csrf_token": token, "into": main.number})
    assert page.status_code == 200
    session.refresh(duplicate)
    assert duplicate.status is CaseStatus.rejected


def test_the_hold_form_asks_for_the_resume_date(client: TestClient, world: World, session: Session) -> None:
    import datetime as dt

    case = case_in_status(session, world, CaseStatus.in_progress)
    token = login(client, world.officer)
    page = client.get(f"/staff/cases/{case.number}").text
    assert 'name="until" type="date" required' in page and "민원인에게 함께 알립니다" in page
    until = (dt.datetime.now(dt.timezone(dt.timedelta(hours=9))) + dt.timedelta(days=2)).date().isoformat()
    response = client.post(
        f"/staff/cases/{case.number}/hold",
        data={"csrf_token": token, "reason": "부품 입고 대기", "until": until},
        follow_redirects=False,
    )
    assert response.status_code == 303
    shown = client.get(response.headers["location"]).text
    assert "보류했습니다. 민원인에게 보류 사실을 알립니다." in shown and until in shown
    session.expire_all()
    assert str(session.get(Case, case.id).hold_until) == until  # type: ignore[union-attr]


def test_the_timeline_names_who_acted_in_words(client: TestClient, world: World, session: Session) -> None:
    case = new_case(session, world)  # received from the citizen; the receipt queued by the system
    login(client, world.operator)
    page = client.get(f"/staff/cases/{case.number}").text
    timeline = page[page.index('class="timeline"') :]
    assert "접수 · 민원인" in timeline
    assert not re.search(r"·\s*(citizen|worker|system)\b", timeline)
