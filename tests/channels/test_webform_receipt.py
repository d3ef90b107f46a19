"""The web receipt: one secret (the tracking link), copy and share, what happens next, the photos that arrived,
the link sent by text once on request; chatter gets a thank-you that promises no handling."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.audit.models import AuditEvent
from sotong.cases import links
from sotong.cases.models import Case
from sotong.channels import accounts as channel_accounts
from sotong.orgs.models import Channel
from sotong.outbox.models import OutboxItem
from sotong.settings import Settings
from tests.channels.test_webform import CASE_NUMBER
from tests.channels.webform_support import form_data, jpeg_with_gps
from tests.factories import World
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
