"""Web form, 120 and counter citizens who left a mobile number get receipts (not web) and answers by SMS."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases.models import Case
from sotong.channels import accounts as channel_accounts
from sotong.channels.callcentre.importer import import_file
from sotong.channels.sms.gateways import TEST_GATEWAY
from sotong.orgs.models import Channel, ChannelAccount
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.settings import Settings
from tests.channels.conftest import answer_case
from tests.channels.webform_support import form_data
from tests.factories import World
from tests.web.conftest import login


@pytest.fixture
def sms_account(session: Session, world: World) -> Iterator[ChannelAccount]:
    TEST_GATEWAY.sent.clear()
    yield channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.sms,
        handle="02-2147-2000",
        config={"gateway": "test", "from_number": "0221472000"},
    )
    TEST_GATEWAY.sent.clear()


def _web_case(client: TestClient, session: Session, settings: Settings, **fields: str) -> Case:
    response = client.post("/report", data=form_data(client, settings, **fields))
    assert response.status_code == 200, response.text
    number = re.search(r'class="case-number">([^<]+)<', response.text)
    assert number
    case = session.scalar(select(Case).where(Case.number == number.group(1)))
    assert case is not None
    return case


def _items(session: Session, case_id: int) -> list[OutboxItem]:
    session.expire_all()
    query = select(OutboxItem).where(OutboxItem.case_id == case_id, OutboxItem.transport != "inapp")
    return list(session.scalars(query.order_by(OutboxItem.id)))


def test_a_web_form_answer_goes_by_sms_the_receipt_does_not(
    client: TestClient,
    session: Session,
    world: World,
    settings: Settings,
    sms_account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    case = _web_case(client, session, settings, phone="010-2222-3333")
    deliver()
    assert TEST_GATEWAY.sent == []  # the citizen read the receipt on the screen
    answer_case(session, world, case.id, "파손된 보도블럭을 11월 25일 교체했습니다.")
    deliver()
    assert [s.to for s in TEST_GATEWAY.sent] == ["01022223333"]
    assert "11월 25일 교체했습니다" in TEST_GATEWAY.sent[0].message.content
    assert all(item.status is OutboxStatus.sent for item in _items(session, case.id))


def test_a_mobile_number_without_an_sms_account_is_a_failure_shown_on_the_case(
    client: TestClient, session: Session, world: World, settings: Settings, deliver: Callable[[], int]
) -> None:
    TEST_GATEWAY.sent.clear()
    case = _web_case(client, session, settings, phone="010-2222-3333")  # no SMS account in this organisation
    answer_case(session, world, case.id, "처리했습니다.")
    deliver()
    assert TEST_GATEWAY.sent == []
    receipt, answer = _items(session, case.id)
    assert receipt.status is OutboxStatus.sent  # a web-form receipt is read on the screen, never sent
    # The citizen waits for a text that cannot come: the answer failed, and the case page says why, in Korean.
    assert (answer.status, answer.error_code) == (OutboxStatus.failed, "no_sms_account")
    login(client, world.officer)
    page = client.get(f"/staff/cases/{case.number}").text
    assert "SMS 계정이 없어 시민의 휴대전화로 보내지 못했습니다" in page
    assert f'action="/staff/cases/{case.number}/deliveries/{answer.id}/retry"' in page


def test_a_call_centre_case_gets_its_receipt_and_answer_by_sms(
    session: Session,
    world: World,
    settings: Settings,
    sms_account: ChannelAccount,
    deliver: Callable[[], int],
    tmp_path: Path,
) -> None:
    path = tmp_path / "120.csv"
    path.write_text(
        "접수일시,연락처,민원내용,접수번호\n2026-11-20 09:15,010-7777-8888,잠실역 앞 불법 주차 단속 요청,120-77\n",
        encoding="utf-8",
    )
    report = import_file(session, path=path, org_slug="songpa", source="120")
    assert report.imported == 1
    case = session.scalar(select(Case))
    assert case is not None
    deliver()
    assert [s.to for s in TEST_GATEWAY.sent] == ["01077778888"]
    assert case.number in TEST_GATEWAY.sent[0].message.content + (TEST_GATEWAY.sent[0].message.subject or "")
    answer_case(session, world, case.id, "주차 단속반이 현장을 확인했습니다.")
    deliver()
    assert len(TEST_GATEWAY.sent) == 2 and "현장을 확인했습니다" in TEST_GATEWAY.sent[1].message.content


def test_a_web_form_answer_goes_by_email_when_only_an_address_was_left(
    client: TestClient,
    session: Session,
    world: World,
    settings: Settings,
    deliver: Callable[[], int],
) -> None:
    from tests.channels.mail.conftest import OWN
    from tests.mailservers import SMTP_PASSWORD, SMTP_USER, running_smtp

    with running_smtp() as smtp:
        channel_accounts.create_channel_account(
            session,
            actor=CLI,
            org_id=world.songpa.id,
            channel=Channel.email,
            handle=OWN,
            config={
                "address": OWN,
                "imap_host": "127.0.0.1",
                "imap_password": "unused",
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "smtp_security": "none",
                "smtp_user": SMTP_USER,
                "smtp_password": SMTP_PASSWORD,
            },
        )
        case = _web_case(client, session, settings, email="minji@example.kr")
        deliver()
        assert smtp.sent == []  # the receipt was on the screen
        answer_case(session, world, case.id, "파손된 보도블럭을 11월 25일 교체했습니다.")
        deliver()
        assert [m.rcpt_tos for m in smtp.sent] == [["minji@example.kr"]]
        mail = smtp.sent[0].message
        assert case.number in str(mail["Subject"])
        assert "11월 25일 교체했습니다" in mail.get_content()
        assert mail["In-Reply-To"] is None  # a new thread: the citizen wrote no mail
        assert all(item.status is OutboxStatus.sent for item in _items(session, case.id))
