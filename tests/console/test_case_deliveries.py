"""The case page shows what the case sent its citizen, each delivery's state in Korean (the technical detail folded
away), and lets the people who handle the case send a failed one again or mark it delivered another way."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Case, CaseStatus
from sotong.db import atomic
from sotong.outbox.models import OutboxItem, OutboxStatus
from tests.factories import World, case_in_status
from tests.web.conftest import csrf_from, login


def _receipt(session: Session, case: Case, **values: object) -> OutboxItem:
    with atomic(session):
        item = session.scalars(
            select(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.kind == "receipt")
        ).one()
        for name, value in values.items():
            setattr(item, name, value)
    return item


def test_a_failed_receipt_is_shown_in_korean_and_sent_again(client: TestClient, world: World, session: Session) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    item = _receipt(
        session,
        case,
        status=OutboxStatus.failed,
        error_code="config",
        last_error="x: account config lacks 'bearer_token'",
        attempts=1,
    )
    login(client, world.officer)
    page = client.get(f"/staff/cases/{case.number}").text
    section = page[page.index('id="deliveries-title"') :]
    assert "접수 안내" in section and "보내지 못함" in section
    assert "채널 계정 설정이 끝나지 않았습니다 (설정 필요)" in section
    # The platform's English stays in the folded technical detail, never in the sentence staff read.
    assert re.search(
        r"<details class=\"delivery-detail\"><summary>기술 정보</summary><code>x: account config lacks", section
    )

    response = client.post(
        f"/staff/cases/{case.number}/deliveries/{item.id}/retry",
        data={"csrf_token": csrf_from(page)},
        follow_redirects=True,
    )
    assert "다시 보내도록 대기열에 넣었습니다." in response.text
    session.expire_all()
    assert session.get(OutboxItem, item.id).status is OutboxStatus.pending  # type: ignore[union-attr]
    assert "보내기 대기" in response.text[response.text.index('id="deliveries-title"') :]


def test_an_unknown_one_is_marked_delivered_by_phone(client: TestClient, world: World, session: Session) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    item = _receipt(
        session, case, status=OutboxStatus.unknown, error_code="interrupted", last_error="sms: outcome unknown"
    )
    login(client, world.officer)
    page = client.get(f"/staff/cases/{case.number}").text
    assert "전달 여부 확인 필요" in page and "보내는 도중 작업 프로세스가 멈춰" in page

    response = client.post(
        f"/staff/cases/{case.number}/deliveries/{item.id}/resolve",
        data={"csrf_token": csrf_from(page), "how": "phone", "note": "전화로 안내함"},
        follow_redirects=True,
    )
    assert "직접 처리로 표시했습니다." in response.text
    assert "전화로 알림" in response.text  # the state and how it was settled
    assert "발송 직접 처리" in response.text  # the timeline
    session.expire_all()
    settled = session.get(OutboxItem, item.id)
    assert settled is not None and (settled.status, settled.resolution) == (OutboxStatus.resolved, "phone")


def test_a_sent_one_shows_the_platforms_id_and_a_viewer_gets_no_buttons(
    client: TestClient, world: World, session: Session
) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    _receipt(session, case, status=OutboxStatus.sent, external_ref="1850000000000000042")
    failed = case_in_status(session, world, CaseStatus.assigned)
    _receipt(session, failed, status=OutboxStatus.failed, error_code="refused", last_error="403")
    login(client, world.viewer)
    assert "플랫폼 번호 1850000000000000042" in client.get(f"/staff/cases/{case.number}").text
    page = client.get(f"/staff/cases/{failed.number}").text
    assert "플랫폼이 메시지를 거부했습니다" in page and "/deliveries/" not in page


def test_another_cases_delivery_cannot_be_reached_through_this_one(
    client: TestClient, world: World, session: Session
) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    other = case_in_status(session, world, CaseStatus.assigned)
    item = _receipt(session, other, status=OutboxStatus.failed, error_code="refused")
    token = login(client, world.operator)
    response = client.post(f"/staff/cases/{case.number}/deliveries/{item.id}/retry", data={"csrf_token": token})
    assert response.status_code == 404
    session.expire_all()
    assert session.get(OutboxItem, item.id).status is OutboxStatus.failed  # type: ignore[union-attr]
