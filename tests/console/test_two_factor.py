"""Staff two-factor sign-in (issue 22, finding 6): required per organisation, enrolled with a QR code at the next
log-in, a code works once, wrong codes are throttled like passwords, an admin resets it for a lost phone."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.orgs import actions as org_actions
from sotong.orgs.models import User
from tests.factories import PASSWORD, World
from tests.web.conftest import csrf_from

SECRET = re.compile(r"<code>([A-Z2-7]{32})</code>")


def _password(client: TestClient, username: str) -> str:
    token = csrf_from(client.get("/staff/login").text)
    response = client.post(
        "/staff/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return str(response.headers["location"])


def _code(client: TestClient, step: str, code: str) -> int:
    token = csrf_from(client.get(f"/staff/login/{step}").text)
    response = client.post(
        f"/staff/login/{step}", data={"code": code, "csrf_token": token, "next": "/staff/"}, follow_redirects=False
    )
    return response.status_code


def _require(session: Session, world: World) -> None:
    org_actions.set_two_factor_required(session, actor=world.actor(world.admin), org_id=world.songpa.id, required=True)


def _enrol(client: TestClient, username: str) -> pyotp.TOTP:
    assert _password(client, username).startswith("/staff/login/enrol")
    page = client.get("/staff/login/enrol")
    assert "<svg" in page.text  # the QR code, drawn inline
    match = SECRET.search(page.text)
    assert match
    totp = pyotp.TOTP(match.group(1))
    assert _code(client, "enrol", totp.now()) == 303
    return totp


def test_a_required_second_factor_is_enrolled_at_the_next_log_in(
    client: TestClient, make_client: Callable[..., TestClient], world: World, session: Session
) -> None:
    _require(session, world)
    # Between the password and the code nothing opens.
    assert _password(client, world.operator.username).startswith("/staff/login/enrol")
    assert client.get("/staff/", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/cases").status_code == 401
    page = client.get("/staff/login/enrol")
    secret = SECRET.search(page.text)
    assert secret
    assert _code(client, "enrol", "000000") == 401  # a wrong first code enables nothing
    assert client.get("/staff/", follow_redirects=False).status_code == 303
    assert _code(client, "enrol", pyotp.TOTP(secret.group(1)).now()) == 303
    assert client.get("/staff/").status_code == 200
    session.expire_all()
    user = session.get(User, world.operator.id)
    assert user is not None and user.totp_enabled and user.totp_secret and secret.group(1) not in user.totp_secret


def test_after_enrolment_the_code_is_asked_every_time_and_works_once(
    make_client: Callable[..., TestClient], world: World, session: Session
) -> None:
    _require(session, world)
    totp = _enrol(make_client(), world.officer.username)
    used = totp.now()
    other = make_client(ip="10.9.0.1")
    assert _password(other, world.officer.username).startswith("/staff/login/code")
    assert _code(other, "code", used) == 401  # the enrolment's code, replayed
    assert _code(other, "code", totp.at(time.time() + 30)) == 303  # the app's next code
    assert other.get("/staff/").status_code == 200
    logins = session.scalar(select(func.count()).where(AuditEvent.action == "user.login"))
    assert logins == 2


def test_guessing_codes_is_throttled_like_passwords(
    make_client: Callable[..., TestClient], world: World, session: Session
) -> None:
    _require(session, world)
    totp = _enrol(make_client(), world.manager.username)
    guesser = make_client({"login_max_failures": "3"}, ip="203.0.113.9")
    assert _password(guesser, world.manager.username).startswith("/staff/login/code")
    for guess in ("111111", "222222", "333333"):
        assert _code(guesser, "code", guess) == 401
    assert _code(guesser, "code", totp.at(time.time() + 30)) == 429
    # The password alone is no success: entering it again clears nothing, it is refused too.
    token = csrf_from(guesser.get("/staff/login").text)
    again = guesser.post(
        "/staff/login", data={"username": world.manager.username, "password": PASSWORD, "csrf_token": token}
    )
    assert again.status_code == 429
    # The owner elsewhere is not locked out.
    owner = make_client({"login_max_failures": "3"}, ip="10.0.0.7")
    assert _password(owner, world.manager.username).startswith("/staff/login/code")
    assert _code(owner, "code", totp.at(time.time() + 30)) == 303


def test_an_admin_resets_a_lost_phone(make_client: Callable[..., TestClient], world: World, session: Session) -> None:
    _require(session, world)
    phone_owner = make_client()
    _enrol(phone_owner, world.officer2.username)
    admin = make_client(ip="10.0.0.5")
    _enrol(admin, world.admin.username)
    token = csrf_from(admin.get(f"/staff/admin/users/{world.officer2.id}").text)
    response = admin.post(
        f"/staff/admin/users/{world.officer2.id}/two-factor/reset", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert phone_owner.get("/staff/", follow_redirects=False).status_code == 303  # its sessions ended
    assert _password(make_client(ip="10.0.0.6"), world.officer2.username).startswith("/staff/login/enrol")
    assert session.scalar(select(func.count()).where(AuditEvent.action == "user.two_factor_reset")) == 1


def test_without_the_requirement_nothing_changes(client: TestClient, world: World) -> None:
    assert _password(client, world.operator.username) == "/staff/"
