"""The department queue: own department only below operator, deadlines marked in words, sort and filters,
the policy form for managers, the duty switch for officers."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases import actions, assignment
from sotong.cases.assignment import AssignmentPolicy
from sotong.cases.models import Case, CaseStatus, ComplaintType
from sotong.db import atomic
from sotong.orgs.models import User
from tests.factories import World, case_in_status, new_case
from tests.web.conftest import login

ROW = re.compile(
    r'<tr class="[^"]*" data-state="(\w+)">\s*<td[^>]*><a (?:class="case-number" )?href="/staff/cases/([^"]+)">'
)


def _routed(session: Session, world: World, *, days_ago: int = 0) -> Case:
    received = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    case = new_case(session, world, received_at=received)
    return actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=case.id,
        complaint_type=ComplaintType.grievance,
        category_id=world.pothole.id,
    )


def _rows(html: str) -> list[tuple[str, str]]:
    return [(number, state) for state, number in ROW.findall(html)]


def test_officer_sees_own_department_with_deadlines_marked(client: TestClient, session: Session, world: World) -> None:
    late = _routed(session, world, days_ago=40)
    soon = _routed(session, world)
    with atomic(session):
        row = session.get(Case, soon.id)
        assert row is not None
        row.due_at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    fine = _routed(session, world)
    other = case_in_status(session, world, CaseStatus.transferred)  # now with 청소행정과
    login(client, world.officer)
    page = client.get("/staff/queue")
    assert page.status_code == 200
    rows = dict(_rows(page.text))
    assert rows == {late.number: "overdue", soon.number: "due_soon", fine.number: "ok"}
    assert other.number not in page.text
    assert "⚠ 기한 초과" in page.text and "◑ 기한 임박" in page.text  # words and a sign, not colour alone
    order = [n for n, _ in _rows(page.text)]
    assert order == [late.number, soon.number, fine.number]  # soonest deadline first
    reverse = [n for n, _ in _rows(client.get("/staff/queue?sort=-due").text)]
    assert reverse == list(reversed(order))


def test_filter_by_officer_and_unassigned(client: TestClient, session: Session, world: World) -> None:
    mine = case_in_status(session, world, CaseStatus.assigned)  # world.officer
    loose = _routed(session, world)
    login(client, world.manager)
    unassigned = dict(_rows(client.get("/staff/queue?officer=unassigned").text))
    assert set(unassigned) == {loose.number}
    by_officer = dict(_rows(client.get(f"/staff/queue?officer={world.officer.id}").text))
    assert set(by_officer) == {mine.number}


def test_another_departments_queue_is_not_found(client: TestClient, world: World) -> None:
    login(client, world.cleaning_officer)
    assert client.get(f"/staff/queue?department_id={world.roads.id}").status_code == 404
    assert client.get(f"/staff/queue?department_id={world.cleaning.id}").status_code == 200


def test_admin_picks_a_department_and_other_organisations_are_not_found(
    client: TestClient, session: Session, world: World
) -> None:
    moved = case_in_status(session, world, CaseStatus.transferred)
    login(client, world.admin)
    page = client.get(f"/staff/queue?department_id={world.cleaning.id}")
    assert page.status_code == 200 and moved.number in page.text
    assert client.get(f"/staff/queue?department_id={world.seoul_dept.id}").status_code == 404


def test_manager_sets_the_policy_officer_may_not(client: TestClient, session: Session, world: World) -> None:
    token = login(client, world.officer)
    assert 'action="/staff/queue/policy"' not in client.get("/staff/queue").text
    refused = client.post(
        "/staff/queue/policy",
        data={"department_id": str(world.roads.id), "policy": "round_robin", "csrf_token": token},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert assignment.policy_of(session, world.roads.id) is AssignmentPolicy.none
    client.post("/staff/logout", data={"csrf_token": token})

    token = login(client, world.manager)
    page = client.post(
        "/staff/queue/policy",
        data={"department_id": str(world.roads.id), "policy": "round_robin", "csrf_token": token},
    )
    assert page.status_code == 200
    assert assignment.policy_of(session, world.roads.id) is AssignmentPolicy.round_robin
    assert "순번제" in page.text


def test_officer_goes_off_duty_and_is_skipped(client: TestClient, session: Session, world: World) -> None:
    assignment.set_policy(
        session, actor=world.actor(world.manager), department_id=world.roads.id, policy=AssignmentPolicy.round_robin
    )
    token = login(client, world.officer)
    page = client.post("/staff/queue/duty", data={"on_duty": "false", "csrf_token": token})
    assert page.status_code == 200 and "부재" in page.text
    session.expire_all()
    user = session.get(User, world.officer.id)
    assert user is not None and user.on_duty is False
    assert {_routed(session, world).officer_id for _ in range(3)} == {world.officer2.id}


def test_viewer_reads_the_queue_but_changes_nothing(client: TestClient, session: Session, world: World) -> None:
    token = login(client, world.viewer)
    page = client.get("/staff/queue")
    assert page.status_code == 200
    assert 'action="/staff/queue/duty"' not in page.text and 'action="/staff/queue/policy"' not in page.text
    refused = client.post("/staff/queue/duty", data={"on_duty": "true", "csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 403
