"""The API tokens page (/staff/admin/tokens): an admin issues a token (shown once, in Korean), revokes it; no one
else opens the page; `sotong token` does the same from the command line."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.app import SESSION_COOKIE
from sotong.audit.models import AuditEvent
from sotong.orgs.models import ApiToken
from sotong.orgs.tokens import token_hash
from tests.factories import World
from tests.web.conftest import login

CREATED = re.compile(r'<code id="created-token">(sot_[A-Za-z0-9_-]{43})</code>')


def test_an_admin_issues_a_token_seen_once_and_revokes_it(client: TestClient, world: World, session: Session) -> None:
    csrf = login(client, world.admin)
    page = client.get("/staff/admin/tokens")
    assert page.status_code == 200
    assert "API 토큰" in page.text and "민원 조회" in page.text and "tokens." not in page.text

    created = client.post(
        "/staff/admin/tokens",
        data={"csrf_token": csrf, "name": "통계 시스템", "scope_cases_read": "1", "expires_in_days": "30"},
    )
    assert created.status_code == 200
    match = CREATED.search(created.text)
    assert match, created.text
    plain = match.group(1)
    assert "한 번만 보입니다" in created.text
    assert plain not in client.cookies.get(SESSION_COOKIE, "")  # never kept in the session
    assert plain not in client.get("/staff/admin/tokens").text  # shown once

    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash(plain))).one()
    assert (row.name, row.scopes, row.prefix) == ("통계 시스템", "cases:read", plain[:12])
    assert row.expires_at is not None and row.created_by_id == world.admin.id
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {plain}"}).status_code == 200

    revoked = client.post(f"/staff/admin/tokens/{row.id}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert revoked.status_code == 303
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    assert "폐기됨" in client.get("/staff/admin/tokens").text
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.startswith("api_token."))))
    assert actions == ["api_token.created", "api_token.revoked"]
    # The audit log never holds the token itself.
    for event in session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("api_token."))):
        assert plain not in str(event.after) + str(event.details)


def test_a_token_needs_a_name_and_a_scope(client: TestClient, world: World, session: Session) -> None:
    csrf = login(client, world.admin)
    refused = client.post("/staff/admin/tokens", data={"csrf_token": csrf, "name": "", "expires_in_days": "9"})
    assert refused.status_code == 422
    assert "권한 범위를 하나 이상 골라 주세요." in refused.text
    assert "목록에서 골라 주세요." in refused.text
    assert session.scalars(select(ApiToken)).all() == []


def test_only_admins_manage_tokens(client: TestClient, world: World, session: Session) -> None:
    csrf = login(client, world.operator)
    assert client.get("/staff/admin/tokens").status_code == 403
    response = client.post(
        "/staff/admin/tokens", data={"csrf_token": csrf, "name": "x", "scope_cases_write": "1", "expires_in_days": ""}
    )
    assert response.status_code == 403
    assert session.scalars(select(ApiToken)).all() == []


def test_another_organisations_token_cannot_be_revoked_here(client: TestClient, world: World, session: Session) -> None:
    from sotong.actors import CLI
    from sotong.orgs.actions import tokens as token_actions

    other, _ = token_actions.create_token(session, actor=CLI, org_id=world.seoul.id, name="서울", scopes=["cases:read"])
    csrf = login(client, world.admin)
    assert client.post(f"/staff/admin/tokens/{other.id}/revoke", data={"csrf_token": csrf}).status_code == 404
    session.expire_all()
    assert session.get(ApiToken, other.id).revoked_at is None  # type: ignore[union-attr]
