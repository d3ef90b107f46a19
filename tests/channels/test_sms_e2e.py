"""Text messages: receipts, answers and notices to a citizen's phone through SENS (signed, SMS or LMS by length),
and a two-way gateway whose replies open cases answered by SMS on the same number."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases.actions import receive_message
from sotong.cases.inbound import InboundMessage
from sotong.cases.models import Case, Message
from sotong.channels import accounts as channel_accounts
from sotong.channels.sms.gateways import TEST_GATEWAY
from sotong.db import atomic
from sotong.orgs.models import Channel, ChannelAccount
from sotong.outbox.models import OutboxStatus
from sotong.outbox.service import enqueue
from tests.channels.conftest import answer_case, outbox
from tests.factories import World
from tests.fakes import sms as fake_sms
from tests.fakes.sms import FakeSens

PHONE = "010-2345-6789"


@pytest.fixture
def sens() -> Iterator[FakeSens]:
    with fake_sms.running() as fake:
        yield fake


def _sms_account(session: Session, world: World, handle: str, config: dict[str, object]) -> ChannelAccount:
    return channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.sms, handle=handle, config=config
    )


@pytest.fixture
def sens_account(session: Session, world: World, sens: FakeSens) -> ChannelAccount:
    return _sms_account(
        session,
        world,
        "02-410-1234",
        {
            "gateway": "sens",
            "service_id": sens.service_id,
            "access_key": sens.access_key,
            "secret_key": sens.secret_key,
            "from_number": "02-410-1234",
            "api_url": sens.base_url,
        },
    )


@pytest.fixture
def two_way_account(session: Session, world: World) -> Iterator[ChannelAccount]:
    TEST_GATEWAY.sent.clear()
    yield _sms_account(
        session, world, "1588-0000", {"gateway": "test", "from_number": "15880000", "inbound_token": "sms-in-42"}
    )
    TEST_GATEWAY.sent.clear()


def _case_with_phone(
    session: Session, world: World, text: str = "횡단보도 신호가 너무 짧아요", phone: str = PHONE
) -> Case:
    """A complaint taken by the 120 call centre from a citizen who left their number for the answer."""
    desk = session.scalar(
        select(ChannelAccount).where(ChannelAccount.org_id == world.songpa.id, ChannelAccount.channel == Channel.phone)
    ) or channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.phone, handle="120"
    )
    inbound = InboundMessage(
        external_id=f"call-{text}-{phone}",
        text=text,
        received_at=dt.datetime.now(dt.UTC),
        contact={"phone": phone},
    )
    return receive_message(session, account_id=desk.id, inbound=inbound).case


def _queue_notice(session: Session, case: Case, account: ChannelAccount, text: str) -> None:
    """A short notice to the citizen's phone, queued on the SMS transport itself."""
    with atomic(session):
        enqueue(
            session,
            org_id=case.org_id,
            case_id=case.id,
            kind="notice",
            transport="sms",
            recipient=PHONE,
            idempotency_key=f"notice:{case.id}:{text}",
            payload={"case_number": case.number, "channel_account_id": account.id, "text": text, "tracking_url": ""},
        )


def test_the_receipt_and_the_answer_go_by_sens(
    session: Session, world: World, sens: FakeSens, sens_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    case = _case_with_phone(session, world)
    assert [item.kind for item in outbox(session, case.id)] == ["receipt"]  # one receipt, on the call centre's

    deliver()

    [receipt] = sens.sent
    assert receipt["to"] == "01023456789" and receipt["from"] == "024101234"
    assert case.number in receipt["content"] and receipt["type"] == "LMS"  # the tracking link makes it long
    assert outbox(session, case.id)[-1].external_ref == f"sms:{receipt['requestId']}"

    answer_case(session, world, case.id, "신호 주기를 조정하겠습니다. " * 200)
    deliver()

    answer = sens.sent[-1]
    assert answer["type"] == "LMS" and answer["subject"] == f"[민원 답변] {case.number}"
    assert answer["content"].startswith(f"[{case.number} 답변] 신호 주기를")
    assert f"/cases/{case.number}?t=" in answer["content"].rsplit("…", 1)[1]  # the citizen's own link, after the cut


def test_a_short_notice_goes_as_sms(
    session: Session, world: World, sens: FakeSens, sens_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    case = _case_with_phone(session, world)
    deliver()  # the receipt
    _queue_notice(session, case, sens_account, "현장 확인 예정")

    deliver()

    notice = sens.sent[-1]
    assert notice["type"] == "SMS" and notice["subject"] is None and "현장 확인 예정" in notice["content"]


def test_no_sms_without_a_mobile_number_or_an_sms_account(
    session: Session, world: World, sens: FakeSens, deliver: Callable[[], int]
) -> None:
    case = _case_with_phone(session, world)
    deliver()  # Songpa has no SMS account yet: the caller's receipt cannot be texted, and the case says so
    receipt = outbox(session, case.id)[-1]
    assert (receipt.status, receipt.error_code) == (OutboxStatus.failed, "no_sms_account") and sens.sent == []
    _sms_account(session, world, "02-410-1234", {"gateway": "test"})
    TEST_GATEWAY.sent.clear()
    landline = _case_with_phone(session, world, "가로수 가지치기 부탁드립니다", phone="02-410-5555")
    deliver()  # a landline: no text can reach it
    assert outbox(session, landline.id)[-1].status is OutboxStatus.sent and TEST_GATEWAY.sent == []


def test_a_bad_secret_fails_for_good_and_throttling_waits(
    session: Session, world: World, sens: FakeSens, sens_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    sens_account.config = {**sens_account.config, "secret_key": "not-the-secret"}
    session.commit()
    case = _case_with_phone(session, world)
    deliver()
    item = outbox(session, case.id)[-1]
    assert item.status is OutboxStatus.failed and "Authentication Failed" in (item.last_error or "")

    sens_account.config = {**sens_account.config, "secret_key": sens.secret_key}
    session.commit()
    sens.throttled = True
    again = _case_with_phone(session, world, "보도블럭이 깨졌어요")
    deliver()
    item = outbox(session, again.id)[-1]
    assert item.status is OutboxStatus.pending and "420" in (item.last_error or "")
    assert sens.sent == []


def _reply(client: TestClient, account: ChannelAccount, body: dict[str, str], token: str | None = "sms-in-42") -> int:
    headers = {"Content-Type": "application/json"} | ({"X-Sms-Token": token} if token else {})
    return client.post(f"/hooks/sms/{account.id}", content=json.dumps(body), headers=headers).status_code


def test_two_way_sms_in_receipt_and_answer_back_to_the_same_number(
    session: Session,
    world: World,
    client: TestClient,
    two_way_account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    assert _reply(client, two_way_account, {"id": "mo-1", "from": PHONE, "text": "아파트 앞 가로등 고장"}) == 200
    session.expire_all()
    [case] = session.scalars(select(Case)).all()
    assert case.contact == {"phone": "01023456789"}

    deliver()
    answer_case(session, world, case.id, "가로등을 고쳤습니다.")
    deliver()

    receipt, answer = TEST_GATEWAY.sent
    assert receipt.to == answer.to == "01023456789" and receipt.sender == "15880000"
    assert case.number in receipt.message.content and "가로등을 고쳤습니다." in answer.message.content


def test_two_way_replies_are_checked_and_stored_once(
    session: Session, client: TestClient, two_way_account: ChannelAccount, sens_account: ChannelAccount
) -> None:
    body = {"id": "mo-7", "from": PHONE, "text": "쓰레기가 안 치워졌어요"}

    assert _reply(client, two_way_account, body, token=None) == 401
    assert _reply(client, two_way_account, body, token="guess") == 403
    assert _reply(client, sens_account, body) == 401  # SENS delivers no replies: nothing to accept
    assert _reply(client, two_way_account, {"id": "mo-8", "from": "hello", "text": "x"}) == 400
    own = {"id": "mo-9", "from": "1588-0000", "text": "[민원 답변] 우리가 보낸 문자"}
    assert _reply(client, two_way_account, own) == 200  # acknowledged, never taken in
    assert session.scalars(select(Message)).all() == []

    assert _reply(client, two_way_account, body) == 200
    assert _reply(client, two_way_account, body) == 200
    session.expire_all()
    assert len(session.scalars(select(Message)).all()) == 1
