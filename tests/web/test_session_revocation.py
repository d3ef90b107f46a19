"""A session ends on the server: a copied cookie stops working, for reads and writes, after log-out, "sign out
everywhere", deactivation and a new password (issue 22, finding 1)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.app import SESSION_COOKIE
from sotong.audit.models import AuditEvent
from sotong.cases.models import Case, CaseStatus
from sotong.orgs import actions as org_actions
from tests.factories import World, new_case
from tests.web.conftest import login


def _copy(client: TestClient, make_client: Callable[..., TestClient]) -> TestClient:
    """Another browser holding a copy of `client`'s session cookie (what a thief or an old tab has)."""
    thief = make_client()
    thief.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE])
    return thief


def _can_read_and_write(thief: TestClient, token: str, number: str) -> tuple[int, int]:
    read = thief.get("/api/v1/cases").status_code
    write = thief.post(
        f"/api/v1/cases/{number}/triage", json={"complaint_type": "inquiry"}, headers={"X-CSRF-Token": token}
    ).status_code
    return read, write


def test_a_copied_cookie_works_only_while_the_session_lives(
    client: TestClient, make_client: Callable[..., TestClient], world: World, session: Session
) -> None:
    case = new_case(session, world)
    token = login(client, world.operator)
    thief = _copy(client, make_client)
    assert thief.get("/api/v1/cases").status_code == 200  # the copy is as good as the original while it lives

    assert client.post("/staff/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303

    assert _can_read_and_write(thief, token, case.number) == (401, 401)
    assert thief.get("/staff/", follow_redirects=False).status_code == 303
    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.received  # type: ignore[union-attr]


def test_an_admin_signs_an_account_out_everywhere(
    client: TestClient, make_client: Callable[..., TestClient], world: World, session: Session
) -> None:
    case = new_case(session, world)
    laptop = make_client()
    token = login(laptop, world.operator)
    thief = _copy(laptop, make_client)

    admin_token = login(client, world.admin)
    response = client.post(
        f"/staff/admin/users/{world.operator.id}/sessions", data={"csrf_token": admin_token}, follow_redirects=False
    )
    assert response.status_code == 303

    assert _can_read_and_write(thief, token, case.number) == (401, 401)
    assert laptop.get("/api/v1/cases").status_code == 401
    assert client.get("/api/v1/cases").status_code == 200  # the admin's own session lives on
    assert session.scalar(select(func.count()).where(AuditEvent.action == "user.sessions_ended")) == 1


def test_only_an_admin_signs_others_out(
    client: TestClient, make_client: Callable[..., TestClient], world: World
) -> None:
    victim = make_client()
    login(victim, world.officer)
    token = login(client, world.operator)
    response = client.post(f"/staff/admin/users/{world.officer.id}/sessions", data={"csrf_token": token})
    assert response.status_code == 403
    assert victim.get("/api/v1/cases").status_code == 200


def test_deactivating_ends_sessions_for_good_even_if_the_account_comes_back(
    client: TestClient, make_client: Callable[..., TestClient], world: World, session: Session
) -> None:
    login(client, world.officer)
    thief = _copy(client, make_client)
    admin = world.actor(world.admin)
    org_actions.set_user_active(session, actor=admin, user_id=world.officer.id, active=False)
    org_actions.set_user_active(session, actor=admin, user_id=world.officer.id, active=True)
    assert thief.get("/api/v1/cases").status_code == 401
    assert client.get("/api/v1/cases").status_code == 401


def test_a_new_password_ends_every_session(
    client: TestClient, make_client: Callable[..., TestClient], world: World, session: Session
) -> None:
    login(client, world.officer)
    thief = _copy(client, make_client)
    officer = world.actor(world.officer)
    org_actions.set_password(session, actor=officer, user_id=world.officer.id, password="a-much-longer-passphrase")
    assert thief.get("/api/v1/cases").status_code == 401
