"""Administration refusals: every other role gets 403 on every page and form; another organisation's rows are 404."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.actors import CLI, Role
from sotong.audit.models import AuditEvent
from sotong.cases.deadlines import actions as deadline_actions
from sotong.cases.models import PeriodUnit
from sotong.errors import NotFound, PermissionDenied
from sotong.orgs import actions as org_actions
from sotong.orgs.models import Department
from sotong.triage import rule_actions
from sotong.triage.models import RuleKind
from tests.factories import World
from tests.web.conftest import login

# One request per form of the administration pages; "{...}" ids are filled from the world.
POSTS = [
    ("/departments", {"name": "새 부서"}),
    ("/departments/{dept}", {"name": "바뀐 이름"}),
    ("/users", {"username": "x.y", "display_name": "x", "role": "viewer", "password": "long-enough-1"}),
    ("/users/{user}", {"display_name": "x"}),
    ("/users/{user}/role", {"role": "viewer"}),
    ("/users/{user}/password", {"password": "long-enough-1", "password_again": "long-enough-1"}),
    ("/users/{user}/active", {"active": ""}),
    ("/categories", {"code": "new", "name": "새 분야"}),
    ("/categories/{category}", {"code": "road-damage", "name": "x"}),
    ("/rules", {"name": "r", "kind": "keyword", "pattern": "a", "department_id": "{dept}", "priority": "1"}),
    ("/rules/{rule}", {"name": "r", "kind": "keyword", "pattern": "a", "department_id": "{dept}", "priority": "1"}),
    ("/rules/{rule}/enabled", {"enabled": ""}),
    ("/sla", {"name": "p", "priority": "1", "resolution_value": "3", "resolution_unit": "days"}),
    ("/sla/{sla}", {"name": "p", "priority": "1"}),
    ("/calendar/hours", {"work_start": "08:00", "work_end": "17:00"}),
    ("/calendar/closures", {"day": "2099-01-02", "reason": "x"}),
    ("/calendar/closures/{closure}/delete", {}),
]
GETS = [
    "",
    "/departments",
    "/departments/{dept}",
    "/users",
    "/users/{user}",
    "/categories",
    "/categories/{category}",
    "/rules",
    "/rules?sample=포트홀",
    "/rules/{rule}",
    "/sla",
    "/sla/{sla}",
    "/calendar",
    "/audit",
]


def ids_in(session: Session, world: World, org: str) -> dict[str, int]:
    """One row of each kind in `org` (songpa or seoul), made by the CLI."""
    org_row = world.songpa if org == "songpa" else world.seoul
    dept = world.roads if org == "songpa" else world.seoul_dept
    user = world.officer if org == "songpa" else world.seoul_operator
    category = (
        world.pothole
        if org == "songpa"
        else org_actions.create_category(session, actor=CLI, org_id=org_row.id, code="seoul-road", name="도로")
    )
    rule = rule_actions.create_rule(
        session, actor=CLI, org_id=org_row.id, name="r", kind=RuleKind.keyword, pattern="x", department_id=dept.id
    )
    sla = deadline_actions.create_sla_policy(
        session, actor=CLI, org_id=org_row.id, name="p", resolution_value=3, resolution_unit=PeriodUnit.days
    )
    closure = deadline_actions.add_closure_day(
        session, actor=CLI, org_id=org_row.id, day=dt.date(2099, 1, 1), reason="x"
    )
    return {
        "dept": dept.id,
        "user": user.id,
        "category": category.id,
        "rule": rule.id,
        "sla": sla.id,
        "closure": closure.id,
    }


def fill(template: str, ids: dict[str, int]) -> str:
    return template.format(**ids)


def audit_count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


@pytest.mark.parametrize("persona", ["operator", "manager", "officer", "viewer"])
def test_other_roles_are_refused_every_form(client: TestClient, session: Session, world: World, persona: str) -> None:
    ids = ids_in(session, world, "songpa")
    token = login(client, getattr(world, persona))
    before = audit_count(session)  # logging in is logged too
    for path, data in POSTS:
        values = {k: fill(v, ids) for k, v in data.items()}
        response = client.post(
            f"/staff/admin{fill(path, ids)}", data={"csrf_token": token, **values}, follow_redirects=False
        )
        assert response.status_code == 403, (persona, path, response.status_code)
    for path in GETS:
        assert client.get(f"/staff/admin{fill(path, ids)}").status_code == 403, (persona, path)
    assert audit_count(session) == before  # nothing changed, nothing logged
    assert session.scalar(select(Department).where(Department.name == "새 부서")) is None


def test_without_login_the_pages_ask_to_log_in(client: TestClient, world: World) -> None:
    response = client.get("/staff/admin/users", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


def test_another_organisations_rows_are_not_found(client: TestClient, session: Session, world: World) -> None:
    ids = ids_in(session, world, "seoul")
    token = login(client, world.admin)
    before = audit_count(session)
    for path, data in POSTS:
        if "{" not in path:
            continue
        values = {k: fill(v, ids) for k, v in data.items()}
        response = client.post(
            f"/staff/admin{fill(path, ids)}", data={"csrf_token": token, **values}, follow_redirects=False
        )
        assert response.status_code == 404, (path, response.status_code)
    for path in GETS:
        if "{" in path:
            assert client.get(f"/staff/admin{fill(path, ids)}").status_code == 404, path
    assert audit_count(session) == before
    # Seoul's rows are not listed on Songpa's pages either.
    assert world.seoul_operator.username not in client.get("/staff/admin/users").text
    assert world.seoul_dept.name not in client.get("/staff/admin/departments").text


def test_actions_check_role_and_organisation_themselves(session: Session, world: World) -> None:
    """The domain actions refuse on their own, whoever calls them (CLI, API, a future page)."""
    officer, admin = world.actor(world.officer), world.actor(world.admin)
    with pytest.raises(PermissionDenied):
        org_actions.update_department(session, actor=officer, department_id=world.roads.id, name="x")
    with pytest.raises(PermissionDenied):
        org_actions.change_role(session, actor=world.actor(world.viewer), user_id=world.officer.id, role=Role.admin)
    with pytest.raises(PermissionDenied):
        org_actions.deactivate_user(session, actor=world.actor(world.operator), user_id=world.officer.id)
    with pytest.raises(PermissionDenied):
        org_actions.reset_password(
            session, actor=world.actor(world.manager), user_id=world.officer.id, password="x" * 12
        )
    with pytest.raises(NotFound):
        org_actions.update_department(session, actor=admin, department_id=world.seoul_dept.id, name="x")
    with pytest.raises(NotFound):
        org_actions.deactivate_user(session, actor=admin, user_id=world.seoul_operator.id)
    with pytest.raises(NotFound):
        org_actions.update_user(
            session,
            actor=admin,
            user_id=world.officer.id,
            display_name="x",
            email=None,
            department_id=world.seoul_dept.id,
        )
    with pytest.raises(NotFound):
        # A rule of Songpa cannot route into a Seoul department (only transfer to Seoul as an organisation).
        rule_actions.create_rule(
            session,
            actor=admin,
            org_id=world.songpa.id,
            name="r",
            kind=RuleKind.keyword,
            pattern="x",
            department_id=world.seoul_dept.id,
        )
    session.refresh(world.roads)
    assert world.roads.name == "도로과"
