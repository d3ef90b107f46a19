"""API tokens of machine clients (issue 22): Bearer on the JSON API beside sessions, scoped, revocable, expiring,
one organisation only, their use written down and their writes audited under the token's name."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.audit.models import AuditEvent
from sotong.cases.models import Case, CaseStatus, ComplaintType
from sotong.db import utcnow
from sotong.orgs.actions import tokens as token_actions
from sotong.orgs.models import ApiToken
from sotong.orgs.tokens import token_hash
from tests.factories import World, new_case


def _token(session: Session, world: World, *scopes: str, org_id: int | None = None, **kwargs: object) -> str:
    _, plain = token_actions.create_token(
        session,
        actor=CLI,
        org_id=org_id or world.songpa.id,
        name="민원 통계 시스템",
        scopes=list(scopes),
        **kwargs,  # type: ignore[arg-type]
    )
    return plain


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_read_token_lists_and_reads_its_organisations_cases(
    client: TestClient, world: World, session: Session
) -> None:
    case = new_case(session, world)
    token = _token(session, world, "cases:read")
    listed = client.get("/api/v1/cases", headers=_bearer(token))
    assert listed.status_code == 200, listed.text
    assert [c["number"] for c in listed.json()["items"]] == [case.number]
    read = client.get(f"/api/v1/cases/{case.number}", headers=_bearer(token))
    assert read.status_code == 200
    assert read.json()["body"] == case.body


def test_a_token_of_another_organisation_never_reads_this_ones_cases(
    client: TestClient, world: World, session: Session
) -> None:
    case = new_case(session, world)
    seoul = _token(session, world, "cases:read", "cases:write", "deliveries:read", org_id=world.seoul.id)
    assert client.get("/api/v1/cases", headers=_bearer(seoul)).json()["items"] == []
    assert client.get(f"/api/v1/cases/{case.number}", headers=_bearer(seoul)).status_code == 404
    assert client.get(f"/api/v1/cases/{case.number}/deliveries", headers=_bearer(seoul)).status_code == 404
    wrote = client.post(
        f"/api/v1/cases/{case.number}/triage", json={"complaint_type": "inquiry"}, headers=_bearer(seoul)
    )
    assert wrote.status_code == 404
    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.received  # type: ignore[union-attr]


def test_a_write_token_acts_without_a_csrf_token_and_the_audit_names_it(
    client: TestClient, world: World, session: Session
) -> None:
    case = new_case(session, world)
    token = _token(session, world, "cases:write")
    response = client.post(
        f"/api/v1/cases/{case.number}/triage", json={"complaint_type": "inquiry"}, headers=_bearer(token)
    )
    assert response.status_code == 200, response.text
    assert response.json()["case"]["complaint_type"] == "inquiry"  # cases:write includes reading the result
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "case.triaged")
    ).one()
    assert (event.actor_kind, event.actor_id) == ("token", None)
    assert event.actor_label == f"{token[:12]} 민원 통계 시스템"
    session.expire_all()
    assert session.get(Case, case.id).complaint_type is ComplaintType.inquiry  # type: ignore[union-attr]


def test_a_scope_the_token_lacks_is_403_and_changes_nothing(client: TestClient, world: World, session: Session) -> None:
    case = new_case(session, world)
    token = _token(session, world, "cases:read")
    refused = client.post(
        f"/api/v1/cases/{case.number}/triage", json={"complaint_type": "inquiry"}, headers=_bearer(token)
    )
    assert refused.status_code == 403
    assert refused.json() == {
        "error": "insufficient_scope",
        "detail": "this API token lacks the scope cases:write",
        "scope": "cases:write",
    }
    assert client.get("/api/v1/deliveries", headers=_bearer(token)).status_code == 403
    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.received  # type: ignore[union-attr]

    deliveries = _token(session, world, "deliveries:read")
    assert client.get("/api/v1/deliveries", headers=_bearer(deliveries)).status_code == 200
    assert client.get("/api/v1/cases", headers=_bearer(deliveries)).status_code == 403


def test_revoked_expired_unknown_and_malformed_tokens_are_401_with_the_reason(
    client: TestClient, world: World, session: Session
) -> None:
    revoked = _token(session, world, "cases:read")
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash(revoked))).one()
    assert client.get("/api/v1/cases", headers=_bearer(revoked)).status_code == 200
    token_actions.revoke_token(session, actor=CLI, org_id=world.songpa.id, token_id=row.id)
    answer = client.get("/api/v1/cases", headers=_bearer(revoked))
    assert (answer.status_code, answer.json()["error"]) == (401, "token_revoked")
    assert answer.json()["detail"] == "this API token was revoked"
    assert answer.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')

    expired = _token(session, world, "cases:read", expires_in_days=1, now=utcnow() - dt.timedelta(days=2))
    answer = client.get("/api/v1/cases", headers=_bearer(expired))
    assert (answer.status_code, answer.json()["error"]) == (401, "token_expired")

    for header in ("Bearer sot_" + "x" * 43, "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer sot_토큰"):
        answer = client.get("/api/v1/cases", headers={"Authorization": header.encode()})
        assert answer.status_code == 401, header
        assert answer.json()["error"] == "invalid_token"


def test_a_bad_token_does_not_fall_back_to_the_browser_session(
    client: TestClient, world: World, session: Session
) -> None:
    from tests.web.conftest import login

    login(client, world.operator)
    assert client.get("/api/v1/cases").status_code == 200
    assert client.get("/api/v1/cases", headers=_bearer("sot_wrong")).status_code == 401


def test_a_use_is_written_down_at_most_once_a_minute(client: TestClient, world: World, session: Session) -> None:
    token = _token(session, world, "cases:read")
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).one()
    assert row.last_used_at is None
    client.get("/api/v1/cases", headers=_bearer(token))
    session.expire_all()
    first = row.last_used_at
    assert first is not None and row.last_used_ip == "testclient"
    client.get("/api/v1/cases", headers=_bearer(token))
    session.expire_all()
    assert row.last_used_at == first
    # Reads write no audit events (a poller would flood the log): the token's row says when it was last used.
    assert session.scalars(select(AuditEvent).where(AuditEvent.actor_kind == "token")).all() == []
