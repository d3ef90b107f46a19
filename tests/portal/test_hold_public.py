"""A case on hold says so in public: "보류" with the day work resumes, not "처리중"."""

from __future__ import annotations

import datetime as dt
import html

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import CaseStatus
from tests.factories import World, case_in_status, publish


def test_the_public_page_shows_the_hold(client: TestClient, session: Session, world: World) -> None:
    case = publish(session, world, case_in_status(session, world, CaseStatus.in_progress))
    until = (dt.datetime.now(dt.timezone(dt.timedelta(hours=9))) + dt.timedelta(days=4)).date()
    actions.hold(
        session,
        actor=world.actor(world.officer),
        case_id=case.id,
        reason="관계기관 협의 중 (담당 010-1234-5678)",
        until=until,
    )
    page = html.unescape(client.get(f"/cases/{case.number}").text)
    assert '<span class="pstatus pstatus-on_hold">보류</span>' in page
    assert f"{until.isoformat()}에 다시 처리할 예정입니다" in page
    assert "관계기관 협의 중" in page and "010-1234-5678" not in page  # the reason, masked
    listed = html.unescape(client.get("/", params={"status": "on_hold"}).text)
    assert case.number in listed
