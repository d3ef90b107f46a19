"""Only the desk (operators, administrators) reads and works the inbox: every other role is refused on the page,
the updates endpoint and every action, and nothing changes; another organisation's cases are never shown."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases import actions
from sotong.cases.models import Case, CaseStatus
from sotong.triage.models import TriageLabel
from tests.console.inbox_support import desk_case
from tests.factories import World, inbound
from tests.web.conftest import login

REFUSED = ["manager", "officer", "viewer", "cleaning_officer"]


@pytest.mark.parametrize("persona", REFUSED)
def test_other_roles_are_refused_everywhere(persona: str, client: TestClient, desk: World, session: Session) -> None:
    case = desk_case(session, desk)
    case_events = select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id)
    events_before = session.scalar(case_events)
    token = login(client, getattr(desk, persona))
    assert client.get("/staff/inbox").status_code == 403
    assert client.get("/staff/inbox/updates", params={"since": "0"}).status_code == 403
    posts = [
        (f"/staff/inbox/{case.number}/confirm", {}),
        ("/staff/inbox/correct", {"number": case.number, "department_id": str(desk.cleaning.id)}),
        ("/staff/inbox/bulk", {"action": "confirm", "numbers": case.number}),
        ("/staff/inbox/bulk", {"action": "hide", "numbers": case.number, "hide_reason": "spam"}),
        ("/staff/inbox/bulk", {"action": "opinion", "numbers": case.number}),
    ]
    for url, data in posts:
        response = client.post(url, data={**data, "csrf_token": token}, headers={"Accept": "application/json"})
        assert response.status_code == 403, (url, response.status_code)
    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.received  # type: ignore[union-attr]
    assert session.scalar(case_events) == events_before
    assert session.scalar(select(TriageLabel)) is None
    assert 'href="/staff/inbox"' not in client.get("/staff/").text  # no menu entry either


def test_admin_works_the_inbox_too(client: TestClient, desk: World, session: Session) -> None:
    case = desk_case(session, desk)
    token = login(client, desk.admin)
    assert client.get("/staff/inbox").status_code == 200
    response = client.post(
        f"/staff/inbox/{case.number}/confirm", data={"csrf_token": token}, headers={"Accept": "application/json"}
    )
    assert response.json()["ok"]


def test_without_a_session_the_page_asks_to_log_in(client: TestClient, desk: World) -> None:
    response = client.get("/staff/inbox", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


def test_a_post_without_the_csrf_token_is_refused(client: TestClient, desk: World, session: Session) -> None:
    case = desk_case(session, desk)
    login(client, desk.operator)
    response = client.post(f"/staff/inbox/{case.number}/confirm", headers={"Accept": "application/json"})
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.received  # type: ignore[union-attr]


def test_another_organisations_operator_never_sees_our_cases(client: TestClient, desk: World, session: Session) -> None:
    ours = desk_case(session, desk)
    theirs = actions.receive_message(session, account_id=desk.seoul_x_account.id, inbound=inbound(author="@s")).case
    token = login(client, desk.seoul_operator)
    html = client.get("/staff/inbox").text
    assert theirs.number in html and ours.number not in html
    updates = client.get("/staff/inbox/updates", params={"since": "1", "ids": f"{ours.id},{theirs.id}"}).json()
    assert ours.number not in str(updates)
    body = client.post(
        f"/staff/inbox/{ours.number}/confirm", data={"csrf_token": token}, headers={"Accept": "application/json"}
    ).json()
    assert body["ok"] is False and body["results"][0]["code"] == "not_found"
    correct = client.post(
        "/staff/inbox/correct",
        data={"csrf_token": token, "number": ours.number, "relevant": "false"},
        headers={"Accept": "application/json"},
    ).json()
    assert correct["results"][0]["code"] == "not_found"
    session.expire_all()
    assert session.get(Case, ours.id).status is CaseStatus.received  # type: ignore[union-attr]
