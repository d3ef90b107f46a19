"""Staff log-in, log-out, throttling and where unauthenticated requests go."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.orgs import actions as org_actions
from sotong.orgs.models import LoginAttempt
from tests.factories import PASSWORD, World
from tests.web.conftest import csrf_from, login


def _post_login(client: TestClient, username: str, password: str) -> int:
    token = csrf_from(client.get("/staff/login").text)
    response = client.post(
        "/staff/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    return response.status_code


def test_login_success_opens_the_console_and_is_audited(client: TestClient, world: World, session: Session) -> None:
    token = csrf_from(client.get("/staff/login").text)
    response = client.post(
        "/staff/login",
        data={"username": "lee.operator", "password": PASSWORD, "csrf_token": token, "next": "/staff/cases"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/cases"
    assert client.get("/staff/").status_code == 200
    assert session.scalar(select(func.count()).where(AuditEvent.action == "user.login")) == 1
    assert session.scalar(select(LoginAttempt.succeeded).where(LoginAttempt.username == "lee.operator")) is True


def test_wrong_password_is_refused_with_the_same_message_as_an_unknown_user(client: TestClient, world: World) -> None:
    token = csrf_from(client.get("/staff/login").text)
    wrong = client.post("/staff/login", data={"username": "lee.operator", "password": "nope", "csrf_token": token})
    unknown = client.post("/staff/login", data={"username": "nobody", "password": "nope", "csrf_token": token})
    assert wrong.status_code == unknown.status_code == 401
    assert "아이디 또는 비밀번호가 올바르지 않습니다" in wrong.text
    assert "아이디 또는 비밀번호가 올바르지 않습니다" in unknown.text
    assert client.get("/staff/", follow_redirects=False).status_code == 303


def test_next_never_leaves_the_site(client: TestClient, world: World) -> None:
    token = csrf_from(client.get("/staff/login").text)
    response = client.post(
        "/staff/login",
        data={"username": "lee.operator", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/staff/"


def test_an_outsider_cannot_lock_the_owner_out(
    make_client: Callable[..., TestClient], world: World, session: Session
) -> None:
    env = {"login_max_failures": "3"}
    outsider = make_client(env, ip="203.0.113.66")
    for _ in range(3):
        assert _post_login(outsider, "lee.operator", "wrong") == 401
    # The outsider's own address is locked for that account, even with the right password...
    token = csrf_from(outsider.get("/staff/login").text)
    response = outsider.post(
        "/staff/login", data={"username": "lee.operator", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429
    assert response.headers["retry-after"] == "900"
    assert "로그인 실패가 너무 많습니다" in response.text
    # ...and the owner, from the office, is not (issue 22, finding 5: the lock-out was per user name only).
    assert _post_login(make_client(env, ip="10.0.0.1"), "lee.operator", PASSWORD) == 303
    assert session.scalar(select(func.count()).where(AuditEvent.action == "user.login_throttled")) == 1
    assert session.scalar(select(func.count()).where(LoginAttempt.succeeded.is_(True))) == 1


def test_a_distributed_guess_stops_everywhere_but_where_the_owner_logs_in(
    make_client: Callable[..., TestClient], world: World
) -> None:
    env = {"login_max_failures": "2"}
    office = make_client(env, ip="10.0.0.1")
    assert _post_login(office, "lee.operator", PASSWORD) == 303  # the owner's usual address
    for n in range(20):  # ten times the limit, one guess per address: no address reaches its own limit
        assert _post_login(make_client(env, ip=f"198.51.100.{n}"), "lee.operator", "wrong") == 401
    assert _post_login(make_client(env, ip="198.51.100.200"), "lee.operator", PASSWORD) == 429
    assert _post_login(make_client(env, ip="10.0.0.1"), "lee.operator", PASSWORD) == 303
    # Other accounts are untouched.
    assert _post_login(make_client(env, ip="198.51.100.201"), "kim.admin", PASSWORD) == 303


def test_throttled_by_address_across_user_names(make_client: Callable[..., TestClient], world: World) -> None:
    env = {"login_max_failures": "3"}
    client = make_client(env, ip="192.0.2.7")
    for name in ("a", "b", "c"):
        assert _post_login(client, name, "wrong") == 401
    assert _post_login(client, "lee.operator", PASSWORD) == 429
    # Another address is not affected.
    assert _post_login(make_client(env, ip="192.0.2.8"), "lee.operator", PASSWORD) == 303


def test_a_success_clears_the_user_names_count(make_client: Callable[..., TestClient], world: World) -> None:
    env = {"login_max_failures": "3"}
    for n in range(2):
        assert _post_login(make_client(env, ip=f"10.1.0.{n}"), "lee.operator", "wrong") == 401
    assert _post_login(make_client(env, ip="10.1.0.50"), "lee.operator", PASSWORD) == 303
    assert _post_login(make_client(env, ip="10.1.0.51"), "lee.operator", "wrong") == 401
    assert _post_login(make_client(env, ip="10.1.0.52"), "lee.operator", PASSWORD) == 303


def test_login_form_needs_its_csrf_token(client: TestClient, world: World) -> None:
    client.get("/staff/login")
    response = client.post("/staff/login", data={"username": "lee.operator", "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/staff/", follow_redirects=False).status_code == 303


def test_logout_needs_csrf_and_ends_the_session(client: TestClient, world: World) -> None:
    token = login(client, world.operator)
    assert client.post("/staff/logout", follow_redirects=False).status_code == 403
    assert client.get("/staff/").status_code == 200
    response = client.post("/staff/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/staff/", follow_redirects=False).status_code == 303


def test_unauthenticated_pages_redirect_to_login_and_api_answers_401(client: TestClient, world: World) -> None:
    response = client.get("/staff/cases?status=received", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login?next=%2Fstaff%2Fcases%3Fstatus%3Dreceived"
    api = client.get("/api/v1/cases")
    assert api.status_code == 401
    assert api.json()["error"] == "not_authenticated"


def test_changing_the_password_ends_other_sessions(client: TestClient, world: World, session: Session) -> None:
    from sotong.actors import CLI

    login(client, world.operator)
    org_actions.set_password(session, actor=CLI, user_id=world.operator.id, password="a-brand-new-password")
    assert client.get("/staff/", follow_redirects=False).status_code == 303


def test_inactive_account_cannot_log_in(client: TestClient, world: World, session: Session) -> None:
    world.viewer.is_active = False
    session.commit()
    assert _post_login(client, world.viewer.username, PASSWORD) == 401
