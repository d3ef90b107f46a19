"""A staff member's own security page (issue 22): two-factor sign-in turned on voluntarily with a QR code and a
confirming code, one-time recovery codes (hashed, shown once, each usable once, replaced with a code), turned off
with the password and a code; all audited."""

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
from sotong.orgs.models import RecoveryCode, User
from tests.factories import PASSWORD, World
from tests.web.conftest import csrf_from, login

SECRET = re.compile(r'<code id="totp-secret">([A-Z2-7]{32})</code>')
CODE = re.compile(r"<li><code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code></li>")
PAGE = "/staff/account/security"


def _post(client: TestClient, path: str, **data: str) -> tuple[int, str]:
    token = csrf_from(client.get(PAGE).text)
    response = client.post(f"{PAGE}{path}", data={"csrf_token": token, **data}, follow_redirects=False)
    return response.status_code, response.text


def _turn_on(client: TestClient) -> tuple[pyotp.TOTP, list[str]]:
    assert _post(client, "/start")[0] == 303
    page = client.get(PAGE).text
    assert "<svg" in page
    secret = SECRET.search(page)
    assert secret
    totp = pyotp.TOTP(secret.group(1))
    status, text = _post(client, "/enrol", code=totp.now())
    assert status == 200, text
    codes = CODE.findall(text)
    assert len(codes) == 10 and len(set(codes)) == 10
    return totp, codes


def _sign_in(client: TestClient, username: str, code: str) -> int:
    token = csrf_from(client.get("/staff/login").text)
    response = client.post(
        "/staff/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.headers["location"].startswith("/staff/login/code")
    token = csrf_from(client.get("/staff/login/code").text)
    answer = client.post(
        "/staff/login/code", data={"code": code, "csrf_token": token, "next": "/staff/"}, follow_redirects=False
    )
    return answer.status_code


def test_any_staff_member_turns_it_on_and_gets_recovery_codes_once(
    client: TestClient, world: World, session: Session
) -> None:
    login(client, world.officer)
    page = client.get(PAGE)
    assert page.status_code == 200 and "2단계 인증을 사용하지 않습니다" in page.text
    assert _post(client, "/start")[0] == 303
    status, text = _post(client, "/enrol", code="000000")
    assert status == 422 and "코드가 맞지 않습니다" in text
    session.expire_all()
    assert not session.get(User, world.officer.id).totp_enabled  # type: ignore[union-attr]

    _, codes = _turn_on(client)
    session.expire_all()
    user = session.get(User, world.officer.id)
    assert user is not None and user.totp_enabled
    stored = list(session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert len(stored) == 10 and not any(c.replace("-", "") in stored or c in stored for c in codes)
    again = client.get(PAGE).text
    assert "10개 남았습니다" in again and codes[0] not in again  # shown once
    actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == user.id)))
    assert {"user.two_factor_enabled", "user.recovery_codes_created"} <= actions


def test_a_recovery_code_signs_in_once(
    client: TestClient, make_client: Callable[..., TestClient], world: World, session: Session
) -> None:
    login(client, world.officer)
    _, codes = _turn_on(client)
    laptop = make_client(ip="10.1.0.1")
    assert _sign_in(laptop, world.officer.username, codes[3].upper().replace("-", " ")) == 303
    assert laptop.get("/staff/").status_code == 200
    assert _sign_in(make_client(ip="10.1.0.2"), world.officer.username, codes[3]) == 401  # used up
    used = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.recovery_code_used")).one()
    assert used.details["left"] == 9
    login_event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.login").order_by(AuditEvent.id.desc())
    ).first()
    assert login_event is not None and login_event.details["second_factor"] == "recovery_code"


def test_new_recovery_codes_need_a_code_and_end_the_old_ones(
    client: TestClient, make_client: Callable[..., TestClient], world: World
) -> None:
    login(client, world.officer)
    totp, old = _turn_on(client)
    status, text = _post(client, "/recovery-codes", code="123456")
    assert status == 422 and not CODE.findall(text)
    status, text = _post(client, "/recovery-codes", code=totp.at(time.time() + 30))
    assert status == 200
    new = CODE.findall(text)
    assert len(new) == 10 and not set(new) & set(old)
    assert _sign_in(make_client(ip="10.2.0.1"), world.officer.username, old[0]) == 401
    assert _sign_in(make_client(ip="10.2.0.2"), world.officer.username, new[0]) == 303


def test_turning_it_off_needs_the_password_and_a_code(client: TestClient, world: World, session: Session) -> None:
    login(client, world.officer)
    _, codes = _turn_on(client)
    status, text = _post(client, "/disable", password="not-my-password", code=codes[0])
    assert status == 401 and "비밀번호 또는 코드가 맞지 않습니다" in text
    status, _ = _post(client, "/disable", password=PASSWORD, code="999999")
    assert status == 401
    session.expire_all()
    assert session.get(User, world.officer.id).totp_enabled  # type: ignore[union-attr]

    assert _post(client, "/disable", password=PASSWORD, code=codes[1])[0] == 303
    session.expire_all()
    assert not session.get(User, world.officer.id).totp_enabled  # type: ignore[union-attr]
    assert session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    refused = session.scalar(select(func.count()).where(AuditEvent.action == "user.two_factor_disable_refused"))
    assert refused == 2
    assert session.scalar(select(func.count()).where(AuditEvent.action == "user.two_factor_disabled")) == 1


def test_an_organisation_that_requires_it_keeps_it_on(client: TestClient, world: World, session: Session) -> None:
    login(client, world.viewer)
    _, codes = _turn_on(client)
    org_actions.set_two_factor_required(session, actor=world.actor(world.admin), org_id=world.songpa.id, required=True)
    page = client.get(PAGE).text
    assert "끌 수 없습니다" in page and "/disable" not in page
    status, _ = _post(client, "/disable", password=PASSWORD, code=codes[0])
    assert status == 422
    session.expire_all()
    assert session.get(User, world.viewer.id).totp_enabled  # type: ignore[union-attr]
