"""SMS accounts as a public body runs them: NCP Gov's SENS host by default, the test gateway nowhere real, and
characters the carriers cannot carry named in the preview."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases.actions import receive_message
from sotong.cases.inbound import InboundMessage
from sotong.channels import accounts as channel_accounts
from sotong.channels.preview import preview
from sotong.channels.sms.connector import SmsConnector
from sotong.channels.sms.gateways import TEST_GATEWAY
from sotong.db import utcnow
from sotong.orgs.models import Channel, ChannelAccount
from sotong.outbox.transports import Delivery, TransportError
from sotong.settings import reset_settings_cache
from tests.channels.conftest import outbox
from tests.factories import World
from tests.fakes.server import ProxyLog, recording_proxy


def _account(session: Session, world: World, config: dict[str, object], handle: str = "02-410-1234") -> ChannelAccount:
    return channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.sms, handle=handle, config=config
    )


def _delivery(session: Session, account: ChannelAccount) -> Delivery:
    case = receive_message(
        session,
        account_id=account.id,
        inbound=InboundMessage(
            external_id="sms:in-1", text="가로등이 꺼졌어요", received_at=utcnow(), author_handle="01023456789",
            contact={"phone": "01023456789"},
        ),
    ).case  # fmt: skip
    return Delivery.of(outbox(session, case.id)[0], attempt=1)


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProxyLog]:
    with recording_proxy() as log:
        monkeypatch.setenv("HTTPS_PROXY", log.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        yield log


def test_sens_goes_to_ncp_govs_host_unless_the_account_names_another(
    session: Session, world: World, proxy: ProxyLog
) -> None:
    keys = {"gateway": "sens", "service_id": "ncp:sms:kr:1:songpa", "access_key": "AK", "secret_key": "SK"}
    gov = _account(session, world, {**keys, "from_number": "02-410-1234"})
    with pytest.raises(TransportError):
        SmsConnector().send(_delivery(session, gov), session=session)
    assert proxy.connects == ["sens.apigw.gov-ntruss.com:443"]


@pytest.fixture
def development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOTONG_ENV", "development")
    reset_settings_cache()


def test_the_test_gateway_sends_nothing_outside_tests_unless_the_account_is_a_sandbox(
    session: Session, world: World, client: TestClient, development: None
) -> None:
    TEST_GATEWAY.sent.clear()
    real = _account(session, world, {"gateway": "test", "from_number": "15880000", "inbound_token": "in-1"})
    delivery = _delivery(session, real)

    with pytest.raises(TransportError) as raised:
        SmsConnector().send(delivery, session=session)
    assert raised.value.permanent and "sandbox" in raised.value.message and TEST_GATEWAY.sent == []
    reply = client.post(
        f"/hooks/sms/{real.id}",
        json={"id": "r-1", "from": "010-2345-6789", "text": "답장"},
        headers={"X-Sms-Token": "in-1"},
    )
    assert reply.status_code in (400, 403) and "sandbox" in reply.text

    sandbox = _account(session, world, {"gateway": "test", "from_number": "15880001", "sandbox": True}, "1588-0001")
    assert SmsConnector().send(_delivery_for(session, sandbox), session=session) == TEST_GATEWAY.sent[-1].id
    TEST_GATEWAY.sent.clear()


def _delivery_for(session: Session, account: ChannelAccount) -> Delivery:
    case = receive_message(
        session,
        account_id=account.id,
        inbound=InboundMessage(
            external_id="sms:in-2", text="보도블럭이 깨졌어요", received_at=utcnow(), author_handle="01098765432",
            contact={"phone": "01098765432"},
        ),
    ).case  # fmt: skip
    return Delivery.of(outbox(session, case.id)[0], attempt=1)


def test_the_preview_names_characters_a_text_message_cannot_carry(session: Session, world: World) -> None:
    account = _account(session, world, {"gateway": "test", "from_number": "15880000"})
    case = receive_message(
        session,
        account_id=account.id,
        inbound=InboundMessage(
            external_id="sms:in-3", text="하수구 악취", received_at=utcnow(), author_handle="01023456789",
            contact={"phone": "01023456789"},
        ),
    ).case  # fmt: skip

    channel = preview(session, case, body="공사를 마쳤습니다 🚧 감사합니다 😊").channel

    assert channel.unsendable == "🚧😊" and "?" in channel.text and not channel.shortened
    assert preview(session, case, body="공사를 마쳤습니다").channel.unsendable == ""
