"""Confirming and correcting the automatic triage from the inbox: the case is routed through the case actions,
the decision becomes a training label (source "operator"), and both are audited."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases.models import Case, CaseStatus, ComplaintType, RejectReason
from sotong.triage import review
from sotong.triage.models import TriageLabel, TriageResult
from tests.console.inbox_support import desk_case
from tests.factories import World, new_case
from tests.web.conftest import login

JSON = {"Accept": "application/json"}


def _post(client: TestClient, url: str, token: str, data: dict[str, Any]) -> Any:
    response = client.post(url, data={**data, "csrf_token": token}, headers=JSON)
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response


def _case(session: Session, case_id: int) -> Case:
    session.expire_all()
    case = session.get(Case, case_id)
    assert case is not None
    return case


def _events(session: Session, case_id: int, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.action == action)
    return list(session.scalars(query))


def test_confirm_routes_as_suggested_and_records_a_label(client: TestClient, desk: World, session: Session) -> None:
    case = desk_case(session, desk)
    suggestion = session.scalar(select(TriageResult).where(TriageResult.case_id == case.id))
    assert suggestion is not None and suggestion.department_id == desk.roads.id and not suggestion.auto_routed
    token = login(client, desk.operator)
    response = _post(client, f"/staff/inbox/{case.number}/confirm", token, {})
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] and body["results"] == [{"number": case.number, "ok": True, "error": None, "code": None}]
    assert len(body["rows"]) == 1 and f'id="case-{case.id}"' in body["rows"][0]["html"]
    assert "분류" in body["rows"][0]["html"]  # the row re-rendered in its new status
    routed = _case(session, case.id)
    assert routed.status is CaseStatus.triaged
    assert routed.department_id == desk.roads.id and routed.category_id == desk.pothole.id
    assert routed.complaint_type.value == suggestion.complaint_type
    label = session.scalar(select(TriageLabel).where(TriageLabel.case_id == case.id))
    assert label is not None
    assert (label.source, label.relevant, label.category_code) == ("operator", True, "road-damage")
    assert label.department_id == desk.roads.id and label.created_by_id == desk.operator.id
    [confirmed] = _events(session, case.id, "triage.confirmed")
    assert confirmed.actor_kind == "user" and confirmed.actor_id == desk.operator.id
    assert _events(session, case.id, "case.triaged")  # routed through the case action, audited there too
    # Harvesting later does not add a second label for the same case.
    assert review.harvest_labels(session, actor=desk.actor(desk.admin), org_id=desk.songpa.id) == 0


def test_correction_routes_elsewhere_and_is_labelled(client: TestClient, desk: World, session: Session) -> None:
    case = desk_case(session, desk)
    token = login(client, desk.operator)
    response = _post(
        client,
        "/staff/inbox/correct",
        token,
        {
            "number": case.number,
            "relevant": "true",
            "complaint_type": "suggestion",
            "department_id": str(desk.cleaning.id),
        },
    )
    assert response.json()["ok"], response.text
    routed = _case(session, case.id)
    assert routed.department_id == desk.cleaning.id and routed.complaint_type is ComplaintType.suggestion
    label = session.scalar(select(TriageLabel).where(TriageLabel.case_id == case.id))
    assert label is not None
    # No category chosen: the department's name is the label (as the model's label space has it).
    assert (label.category_code, label.department_id, label.complaint_type) == (
        "청소행정과",
        desk.cleaning.id,
        "suggestion",
    )
    [corrected] = _events(session, case.id, "triage.corrected")
    assert corrected.before is not None and corrected.before["department_id"] == desk.roads.id
    assert corrected.after is not None and corrected.after["department_id"] == desk.cleaning.id


def test_correcting_to_not_relevant_hides_it_and_labels_chatter(
    client: TestClient, desk: World, session: Session
) -> None:
    case = desk_case(session, desk)
    token = login(client, desk.operator)
    response = _post(client, "/staff/inbox/correct", token, {"number": case.number, "relevant": "false"})
    assert response.json()["ok"]
    hidden = _case(session, case.id)
    assert hidden.status is CaseStatus.rejected and hidden.reject_reason is RejectReason.not_relevant
    label = session.scalar(select(TriageLabel).where(TriageLabel.case_id == case.id))
    assert label is not None and label.relevant is False and label.category_code is None
    assert _events(session, case.id, "triage.corrected")


def test_a_second_review_replaces_the_label(client: TestClient, desk: World, session: Session) -> None:
    case = desk_case(session, desk)
    token = login(client, desk.operator)
    _post(client, f"/staff/inbox/{case.number}/confirm", token, {})
    _post(
        client,
        "/staff/inbox/correct",
        token,
        {"number": case.number, "complaint_type": "grievance", "department_id": str(desk.cleaning.id)},
    )
    labels = session.scalars(select(TriageLabel).where(TriageLabel.case_id == case.id)).all()
    assert len(labels) == 1 and labels[0].department_id == desk.cleaning.id


def test_confirm_without_a_triage_is_reported(client: TestClient, desk: World, session: Session) -> None:
    case = new_case(session, desk, author="@untriaged")
    token = login(client, desk.operator)
    body = _post(client, f"/staff/inbox/{case.number}/confirm", token, {}).json()
    assert body["ok"] is False and body["results"][0]["code"] == "invalid_input"
    assert _case(session, case.id).status is CaseStatus.received
    assert session.scalar(select(TriageLabel).where(TriageLabel.case_id == case.id)) is None


def test_without_javascript_the_form_redirects_with_a_flash(client: TestClient, desk: World, session: Session) -> None:
    case = desk_case(session, desk)
    token = login(client, desk.operator)
    response = client.post(
        f"/staff/inbox/{case.number}/confirm",
        data={"csrf_token": token, "back": "/staff/inbox?status=received"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff/inbox?status=received"
    page = client.get("/staff/inbox")
    assert "1건의 분류를 확정했습니다." in page.text and "0건 실패" not in page.text
    evil = client.post(
        f"/staff/inbox/{case.number}/confirm",
        data={"csrf_token": token, "back": "https://evil.example/"},
        follow_redirects=False,
    )
    assert evil.headers["location"] == "/staff/inbox"


def test_a_category_of_another_department_is_refused(client: TestClient, desk: World, session: Session) -> None:
    case = desk_case(session, desk)
    token = login(client, desk.operator)
    body = _post(
        client,
        "/staff/inbox/correct",
        token,
        {"number": case.number, "category_id": str(desk.pothole.id), "department_id": str(desk.cleaning.id)},
    ).json()
    assert body["ok"] is False and body["results"][0]["code"] == "invalid_input"
    assert _case(session, case.id).status is CaseStatus.received
    assert session.scalar(select(TriageLabel).where(TriageLabel.case_id == case.id)) is None
