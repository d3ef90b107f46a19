"""JSON API v1 for staff: list with filters, read, act; tenancy and role limits; CSRF on the API."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases.models import Case, CaseStatus
from tests.factories import World, case_in_status, new_case
from tests.web.conftest import login


def _act(
    client: TestClient, token: str, number: str, action: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    return client.post(f"/api/v1/cases/{number}/{action}", json=body, headers={"X-CSRF-Token": token})


def test_list_filters_and_pagination(client: TestClient, world: World, session: Session) -> None:
    received = [new_case(session, world) for _ in range(3)]
    triaged = case_in_status(session, world, CaseStatus.triaged)
    new_case(session, world, text="가로등이 고장났어요 석촌동")
    login(client, world.operator)

    everything = client.get("/api/v1/cases").json()
    assert everything["total"] == 5
    page = client.get("/api/v1/cases", params={"page_size": 2, "page": 2}).json()
    assert page["total"] == 5 and len(page["items"]) == 2 and page["page"] == 2
    last = client.get("/api/v1/cases", params={"page_size": 2, "page": 3}).json()
    assert len(last["items"]) == 1
    numbers = {i["number"] for i in everything["items"]}
    assert numbers >= {c.number for c in [*received, triaged]}

    by_status = client.get("/api/v1/cases", params={"status": "triaged"}).json()
    assert [i["number"] for i in by_status["items"]] == [triaged.number]
    assert by_status["items"][0]["status_label"] == "분류"
    assert client.get("/api/v1/cases", params={"department_id": world.roads.id}).json()["total"] == 1
    assert client.get("/api/v1/cases", params={"category_id": world.pothole.id}).json()["total"] == 1
    assert client.get("/api/v1/cases", params={"complaint_type": "grievance"}).json()["total"] == 1
    assert client.get("/api/v1/cases", params={"channel": "x"}).json()["total"] == 5
    assert client.get("/api/v1/cases", params={"channel": "kakao"}).json()["total"] == 0
    assert client.get("/api/v1/cases", params={"q": "가로등"}).json()["total"] == 1
    assert client.get("/api/v1/cases", params={"q": "100%"}).json()["total"] == 0
    assert client.get("/api/v1/cases", params={"received_from": "2000-01-01T00:00:00+09:00"}).json()["total"] == 5
    assert client.get("/api/v1/cases", params={"received_to": "2000-01-01T00:00:00+09:00"}).json()["total"] == 0


def test_overdue_filter(client: TestClient, world: World, session: Session) -> None:
    import datetime as dt

    old = new_case(session, world, received_at=dt.datetime(2025, 3, 3, 10, 0, tzinfo=dt.UTC))
    new_case(session, world)
    login(client, world.operator)
    overdue = client.get("/api/v1/cases", params={"overdue": "true"}).json()
    assert [i["number"] for i in overdue["items"]] == [old.number]
    assert overdue["items"][0]["overdue"] is True


def test_bad_filters_are_422_with_reasons(client: TestClient, world: World) -> None:
    login(client, world.operator)
    response = client.get("/api/v1/cases", params={"page_size": 500, "status": "bogus"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_input"
    assert "page_size" in body["detail"] and "status" in body["detail"]
    naive = client.get("/api/v1/cases", params={"received_from": "2026-01-01T00:00:00"})
    assert naive.status_code == 422


def test_get_case_detail(client: TestClient, world: World, session: Session) -> None:
    case = case_in_status(session, world, CaseStatus.answered)
    login(client, world.manager)
    body = client.get(f"/api/v1/cases/{case.number}").json()
    assert body["number"] == case.number
    assert body["status"] == "answered"
    assert body["answers"][0]["body"] == "보수를 완료했습니다."
    assert body["messages"][0]["text"] == case.body
    assert body["deadlines"]["due_at"]


def test_officer_cannot_see_another_departments_case(client: TestClient, world: World, session: Session) -> None:
    case = case_in_status(session, world, CaseStatus.triaged)  # 도로과
    login(client, world.cleaning_officer)
    assert client.get(f"/api/v1/cases/{case.number}").status_code == 404
    assert client.get("/api/v1/cases").json()["total"] == 0
    assert client.get(f"/staff/cases/{case.number}").status_code == 404


def test_organisations_are_isolated(client: TestClient, world: World, session: Session) -> None:
    from sotong.cases import actions
    from tests.factories import inbound

    seoul_case = actions.receive_message(session, account_id=world.seoul_x_account.id, inbound=inbound()).case
    token = login(client, world.admin)  # 송파구 admin
    assert client.get(f"/api/v1/cases/{seoul_case.number}").status_code == 404
    assert client.get(f"/staff/cases/{seoul_case.number}").status_code == 404
    assert client.get("/api/v1/cases").json()["total"] == 0
    response = _act(client, token, seoul_case.number, "reject", {"reason": "spam"})
    assert response.status_code == 404


def test_viewer_cannot_act(client: TestClient, world: World, session: Session) -> None:
    case = new_case(session, world)
    token = login(client, world.viewer)
    assert client.get(f"/api/v1/cases/{case.number}").status_code == 200
    response = _act(client, token, case.number, "triage", {"complaint_type": "inquiry"})
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"
    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.received  # type: ignore[union-attr]


def test_illegal_transition_is_409_and_changes_nothing(client: TestClient, world: World, session: Session) -> None:
    case = new_case(session, world)
    token = login(client, world.operator)
    events_before = session.scalar(select(func.count()).select_from(AuditEvent))
    response = _act(client, token, case.number, "close")
    assert response.status_code == 409
    assert response.json()["error"] == "illegal_transition"
    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.received  # type: ignore[union-attr]
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events_before


def test_life_cycle_through_the_api(client: TestClient, world: World, session: Session) -> None:
    case = new_case(session, world)
    op = login(client, world.operator)
    r = _act(client, op, case.number, "triage", {"complaint_type": "grievance", "category_id": world.pothole.id})
    assert r.json()["case"]["department_id"] == world.roads.id
    r = _act(client, op, case.number, "assign", {"officer_id": world.officer.id})
    assert r.json()["case"]["status"] == "assigned"
    r = _act(client, op, case.number, "hold", {"reason": "현장 확인"})
    assert r.json()["case"]["status"] == "on_hold"
    r = _act(client, op, case.number, "resume")
    assert r.json()["case"]["status"] == "assigned"
    r = _act(client, op, case.number, "extend", {"value": 3, "unit": "days", "reason": "현장 조사"})
    assert r.json()["case"]["deadlines"]["extended_at"]
    client.post("/staff/logout", data={"csrf_token": op})

    officer = login(client, world.officer)
    assert _act(client, officer, case.number, "start").json()["case"]["status"] == "in_progress"
    r = _act(client, officer, case.number, "answer", {"body": "보수했습니다. 담당 010-1111-2222"})
    assert r.status_code == 200, r.text
    answer = r.json()["case"]["answers"][0]
    assert r.json()["answer_id"] == answer["id"]
    assert "010-1111-2222" not in answer["public_body"]
    assert _act(client, officer, case.number, "close").json()["case"]["status"] == "closed"
    r = _act(client, officer, case.number, "reopen", {"reason": "아직 그대로입니다"})
    assert r.json()["case"]["status"] == "reopened"


def test_api_answer_with_a_template_slot_left_standing_is_refused(
    client: TestClient, world: World, session: Session
) -> None:
    """The API answers through the same required-element check as the answer form: nothing half-written is sent."""
    from sotong.cases.models import Answer
    from sotong.outbox.models import OutboxItem

    case = case_in_status(session, world, CaseStatus.in_progress)
    officer = login(client, world.officer)
    outbox_before = session.scalar(select(func.count()).select_from(OutboxItem))
    r = _act(client, officer, case.number, "answer", {"body": "[[조치 내용]] 조치했습니다."})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "required_elements_missing"
    assert r.json()["missing"] == ["조치 내용"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Answer).where(Answer.case_id == case.id)) == 0
    assert session.scalar(select(func.count()).select_from(OutboxItem)) == outbox_before
    assert session.get(Case, case.id).status == CaseStatus.in_progress  # type: ignore[union-attr]


def test_transfers_through_the_api(client: TestClient, world: World, session: Session) -> None:
    case = case_in_status(session, world, CaseStatus.triaged)
    other = new_case(session, world)
    token = login(client, world.operator)
    r = _act(client, token, case.number, "transfer_department", {"department_id": world.cleaning.id, "reason": "청소"})
    assert r.json()["case"]["status"] == "transferred"
    r = _act(client, token, other.number, "transfer_organisation", {"organisation": "seoul", "reason": "시 도로"})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["status"] == "transferred_out"
    assert r.json()["new_case_number"].startswith(f"{other.number[:4]}-서울-")
    unknown = _act(client, token, case.number, "transfer_organisation", {"organisation": "nowhere", "reason": "x"})
    assert unknown.status_code == 404


def test_reject_and_restore(client: TestClient, world: World, session: Session) -> None:
    case = new_case(session, world)
    token = login(client, world.operator)
    r = _act(client, token, case.number, "reject", {"reason": "advertising", "note": "광고"})
    assert r.json()["case"]["status"] == "rejected"
    bad = _act(client, token, case.number, "reject", {"reason": "not-a-reason"})
    assert bad.status_code == 422
    assert _act(client, token, case.number, "restore").json()["case"]["status"] == "received"


def test_action_body_is_validated(client: TestClient, world: World, session: Session) -> None:
    case = case_in_status(session, world, CaseStatus.triaged)
    token = login(client, world.operator)
    r = _act(client, token, case.number, "hold", {"reason": "   "})
    assert r.status_code == 422
    assert "reason" in r.json()["detail"]
    r = _act(client, token, case.number, "hold", {"reason": "ok", "surprise": 1})
    assert r.status_code == 422


def test_api_post_with_a_session_needs_the_csrf_header(client: TestClient, world: World, session: Session) -> None:
    case = new_case(session, world)
    login(client, world.operator)
    response = client.post(f"/api/v1/cases/{case.number}/triage", json={"complaint_type": "inquiry"})
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"
    wrong = client.post(
        f"/api/v1/cases/{case.number}/triage", json={"complaint_type": "inquiry"}, headers={"X-CSRF-Token": "nope"}
    )
    assert wrong.status_code == 403
    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.received  # type: ignore[union-attr]


def test_citizen_rates_the_answer_with_the_token(client: TestClient, world: World, session: Session) -> None:
    case = case_in_status(session, world, CaseStatus.answered)
    wrong = client.post(f"/api/v1/cases/{case.number}/rating", json={"token": "guess", "score": 1})
    assert wrong.status_code == 404
    r = client.post(f"/api/v1/cases/{case.number}/rating", json={"token": case.citizen_token, "score": 5})
    assert r.status_code == 200
    assert r.json() == {"number": case.number, "satisfaction": 5}
    out_of_range = client.post(f"/api/v1/cases/{case.number}/rating", json={"token": case.citizen_token, "score": 9})
    assert out_of_range.status_code == 422


def test_merge_a_duplicate_through_the_api(client: TestClient, world: World, session: Session) -> None:
    main, duplicate = new_case(session, world), new_case(session, world, text="같은 곳 보도블럭 신고합니다")
    token = login(client, world.operator)
    response = _act(client, token, duplicate.number, "merge", {"into": main.number})
    assert response.status_code == 200, response.text
    session.refresh(duplicate)
    assert duplicate.status is CaseStatus.rejected
    missing = _act(client, token, new_case(session, world).number, "merge", {"into": "2026-송파-999999"})
    assert missing.status_code == 404
