"""The web receipt: one secret (the tracking link), copy and share, what happens next, the photos that arrived,
the link sent by text once on request; chatter gets a thank-you that promises no handling."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.audit.models import AuditEvent
from sotong.cases import links
from sotong.cases.models import Case, CaseStatus, Message, RejectReason
from sotong.channels import accounts as channel_accounts
from sotong.orgs.models import Channel
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.settings import Settings
from sotong.triage import model_store
from tests.channels.test_webform import CASE_NUMBER
from tests.channels.webform_support import form_data, jpeg_with_gps
from tests.factories import World
from tests.triage.helpers import tiny_model
from tests.web.conftest import csrf_from


def _submit(client: TestClient, settings: Settings, **fields: str) -> str:
    """A complaint with a phone photo; the receipt page's HTML."""
    data = form_data(client, settings, **fields)
    response = client.post("/report", data=data, files={"photos": ("IMG_2041.JPG", jpeg_with_gps(), "image/jpeg")})
    assert response.status_code == 200, response.text
    return response.text


def _case(session: Session, html: str) -> Case:
    number = CASE_NUMBER.search(html)
    assert number, html
    case = session.scalar(select(Case).where(Case.number == number.group(1)))
    assert case is not None
    return case


def test_the_receipt_holds_one_secret_the_next_steps_and_the_photo(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    html = _submit(client, settings)
    case = _case(session, html)
    assert case.citizen_token and case.citizen_token not in html  # the raw code is no longer a second secret
    token = links.link_token(case_number=case.number, citizen_token=case.citizen_token)
    assert f"/cases/{case.number}?t={token}" in html
    assert "data-copy=" in html and "data-share=" in html and "/static/receipt.js" in html
    assert "앞으로 이렇게 처리됩니다" in html
    assert "사진 1장을 받았습니다" in html and "IMG_2041.jpg" in html
    assert re.search(r"IMG_2041\.jpg \(\d+KB\)", html)
    assert "<script>" not in html  # the CSP allows no inline script


def test_the_link_is_texted_once_on_request(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.sms, handle="0212345678"
    )
    html = _submit(client, settings)
    case = _case(session, html)
    token = links.link_token(case_number=case.number, citizen_token=case.citizen_token or "")
    form = {"csrf_token": csrf_from(html), "t": token, "to": "010-3333-4444"}
    sent = client.post(f"/cases/{case.number}/send-link", data=form)
    assert sent.status_code == 200, sent.text
    assert "처리 경과 주소를 문자로 보냈습니다" in sent.text
    rows = session.scalars(select(OutboxItem).where(OutboxItem.kind == "tracking_link")).all()
    assert len(rows) == 1
    assert rows[0].payload["contact"] == {"phone": "010-3333-4444"}
    assert token in rows[0].payload["tracking_url"]
    assert case.contact == {}  # asked for this one message, not for answers there
    again = client.post(f"/cases/{case.number}/send-link", data={**form, "to": "010-5555-6666"})
    assert again.status_code == 409
    assert "이미 한 번 보내 드렸습니다" in again.text
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == "tracking_link")) == 1
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "case.tracking_link_sent"))


def test_sending_the_link_refuses_a_wrong_token_and_bad_input(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    html = _submit(client, settings)
    case = _case(session, html)
    token = links.link_token(case_number=case.number, citizen_token=case.citizen_token or "")
    csrf = csrf_from(html)
    wrong = client.post(
        f"/cases/{case.number}/send-link", data={"csrf_token": csrf, "t": "nope", "to": "010-3333-4444"}
    )
    assert wrong.status_code == 404
    bad = client.post(f"/cases/{case.number}/send-link", data={"csrf_token": csrf, "t": token, "to": "전화"})
    assert bad.status_code == 422 and "휴대전화 번호 형식이 올바르지 않습니다" in bad.text
    empty = client.post(f"/cases/{case.number}/send-link", data={"csrf_token": csrf, "t": token, "to": " "})
    assert empty.status_code == 422 and "휴대전화 번호나 이메일 주소를 적어 주세요" in empty.text
    assert session.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == "tracking_link")) == 0


def test_sending_links_counts_against_the_address(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    settings.webform_max_per_window = 2
    html = _submit(client, settings)  # one submission
    case = _case(session, html)
    token = links.link_token(case_number=case.number, citizen_token=case.citizen_token or "")
    form = {"csrf_token": csrf_from(html), "t": token, "to": "citizen@example.org"}
    assert client.post(f"/cases/{case.number}/send-link", data=form).status_code == 200  # the second
    assert client.post("/report", data=form_data(client, settings)).status_code == 429  # the third


def test_chatter_gets_a_thank_you_that_does_not_say_received(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    response = client.post("/report", data=form_data(client, settings, text="구청장님 화이팅! 오늘 날씨 좋네요"))
    assert response.status_code == 200, response.text
    assert "보내주신 말씀 감사합니다" in response.text
    assert "접수" not in response.text.split("<main", 1)[1]
    assert not CASE_NUMBER.search(response.text)


def test_the_same_form_again_shows_the_first_receipt_and_says_so(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    data = form_data(client, settings)
    first = client.post("/report", data=data)
    case = _case(session, first.text)
    again = client.post("/report", data=data)  # a double click, or a resend after a lost answer
    assert again.status_code == 409
    assert '<h1 id="receipt-title">이미 접수된 신고입니다</h1>' in again.text
    assert "새로 접수하지 않았습니다" in again.text
    assert case.number in again.text
    token = links.link_token(case_number=case.number, citizen_token=case.citizen_token or "")
    assert f"/cases/{case.number}?t={token}" in again.text  # the link the first answer may have lost
    assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_a_form_that_joins_the_citizens_open_case_says_so_and_names_no_case(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    phone = "010-4444-5555"
    first = _case(
        session, _submit(client, settings, phone=phone, text="석촌호수 동호 산책로 가로등이 꺼져 있어요. 고쳐 주세요.")
    )
    data = form_data(
        client, settings, phone=phone, text="석촌호수 동호 산책로 가로등이 아직도 꺼져 있어요. 빨리 고쳐 주세요."
    )
    added = client.post("/report", data=data, files={"photos": ("IMG_2042.JPG", jpeg_with_gps(), "image/jpeg")})
    assert added.status_code == 200, added.text
    main = added.text.split("<main", 1)[1]
    assert "처리 중인 민원에 더했습니다" in main and "민원이 접수되었습니다" not in main
    assert "IMG_2042.jpg" in main  # the photo arrived
    # The contact is not verified: whoever typed it learns no case number and gets no link.
    assert not CASE_NUMBER.search(main) and "?t=" not in main
    session.expire_all()
    texts = session.scalars(select(Message.text).where(Message.case_id == first.id).order_by(Message.id)).all()
    assert texts[-1].startswith("석촌호수 동호 산책로 가로등이 아직도")
    second = session.scalars(select(Case).where(Case.id != first.id)).one()
    assert second.status is CaseStatus.rejected and second.reject_reason is RejectReason.duplicate
    receipts = session.scalars(
        select(OutboxItem).where(OutboxItem.case_id == second.id, OutboxItem.kind == "receipt")
    ).all()
    assert all(item.status is not OutboxStatus.pending for item in receipts)  # no "접수" for a case that closed
    again = client.post("/report", data=data)  # sent twice: still the same answer, still no number
    assert again.status_code == 409 and "처리 중인 민원에 더했습니다" in again.text
    assert not CASE_NUMBER.search(again.text.split("<main", 1)[1])


def test_the_receipt_names_the_department_triage_chose_as_the_form_came_in(
    client: TestClient, world: World, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_store, "default_model", tiny_model)
    world.songpa.auto_route_threshold = 0.5
    session.commit()
    html = _submit(client, settings, text="석촌호수 앞 보도블럭이 깨져서 위험합니다 보수 부탁드립니다")
    case = _case(session, html)
    assert case.department_id == world.roads.id  # routed in the request, not on the worker's next pass
    main = html.split("<main", 1)[1]
    assert "도로과가 맡았습니다" in main and "담당 부서를 정합니다" not in main
