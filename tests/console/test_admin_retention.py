"""The retention page (/staff/admin/retention): the periods with their defaults, saved within their bounds."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.retention.policy import periods_of
from tests.factories import World
from tests.web.conftest import login


def test_an_admin_sees_the_defaults_and_changes_them(client: TestClient, world: World, session: Session) -> None:
    csrf = login(client, world.admin)
    page = client.get("/staff/admin/retention")
    assert page.status_code == 200
    assert "보존 기간" in page.text and 'value="1095"' in page.text and "기본값" in page.text

    fields = {"login_attempt_days": "90", "webform_submission_days": "14", "inbound_event_days": "60"}
    refused = client.post("/staff/admin/retention", data={"csrf_token": csrf, **fields, "closed_case_days": "5"})
    assert refused.status_code == 422
    assert "30에서 36500 사이의 숫자를 입력해 주세요." in refused.text
    assert not periods_of(session, world.songpa.id).customised

    saved = client.post(
        "/staff/admin/retention",
        data={"csrf_token": csrf, **fields, "closed_case_days": "1825"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    session.expire_all()
    periods = periods_of(session, world.songpa.id)
    assert (periods.webform_submission_days, periods.inbound_event_days, periods.closed_case_days) == (14, 60, 1825)
    assert "기관이 정한 기간" in client.get("/staff/admin/retention").text


def test_only_admins_open_it(client: TestClient, world: World) -> None:
    login(client, world.operator)
    assert client.get("/staff/admin/retention").status_code == 403
