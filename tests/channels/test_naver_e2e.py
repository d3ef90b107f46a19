"""A citizen writes to 송파구청 on Naver TalkTalk: the receipt and the officer's answer are pushed back into
the same chat through the send API; events from elsewhere, and events that are not messages, store nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.app import create_app
from sotong.cases.models import Case, Message
from sotong.channels import accounts as channel_accounts
from sotong.channels.health import AccountHealth
from sotong.orgs.models import Channel, ChannelAccount
from sotong.outbox.models import OutboxStatus
from sotong.settings import Settings
from tests.channels.conftest import answer_case, fall_silent, outbox
from tests.factories import World
from tests.fakes import naver as fake_naver
from tests.fakes.naver import NAVER_ADDRESS, FakeTalkTalk
from tests.fakes.server import swallowing


@pytest.fixture
def talk() -> Iterator[FakeTalkTalk]:
    with fake_naver.running() as fake:
        yield fake


@pytest.fixture
def account(session: Session, world: World, talk: FakeTalkTalk) -> ChannelAccount:
    return channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.naver,
        handle="wc1234",
        department_id=world.roads.id,
        config={"authorization": talk.authorization, "api_url": talk.base_url},
    )


@pytest.fixture
def naver_client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """Requests as they arrive from TalkTalk's published addresses."""
    with TestClient(create_app(settings=settings, engine=engine), client=(NAVER_ADDRESS, 40000)) as c:
        yield c


def _cases(session: Session) -> list[Case]:
    fall_silent(session)  # a TalkTalk citizen's conversation becomes its case once they stop writing
    session.expire_all()
    return list(session.scalars(select(Case).order_by(Case.id)))


def test_message_to_receipt_to_answer_in_the_same_chat(
    session: Session,
    world: World,
    naver_client: TestClient,
    talk: FakeTalkTalk,
    account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    response = naver_client.post(f"/hooks/naver/{account.id}", content=talk.text("공원 화장실이 막혔어요", user="u-77"))

    assert response.status_code == 200 and response.content == b""
    [case] = _cases(session)
    assert case.body == "공원 화장실이 막혔어요" and case.author_handle == "u-77"

    deliver()

    [receipt] = talk.sent
    assert receipt["user"] == "u-77" and case.number in receipt["textContent"]["text"]
    assert "options" not in receipt  # the citizen is in the chat right now: no push notification
    call = talk.requests[-1]
    assert call.headers["authorization"] == talk.authorization
    assert call.headers["content-type"] == "application/json;charset=UTF-8"

    answer_case(session, world, case.id, "화장실을 수리했습니다.")
    deliver()

    answer = talk.sent[-1]
    assert answer["user"] == "u-77" and "화장실을 수리했습니다." in answer["textContent"]["text"]
    assert answer["options"] == {"notification": True}
    assert [i.status for i in outbox(session, case.id)] == [OutboxStatus.sent, OutboxStatus.sent]


def test_a_photo_is_downloaded_into_the_message(
    session: Session, naver_client: TestClient, talk: FakeTalkTalk, account: ChannelAccount
) -> None:
    url = f"{talk.base_url}/images/20261122/abc.jpg"
    naver_client.post(f"/hooks/naver/{account.id}", content=talk.image(url))

    [case] = _cases(session)
    [message] = case.messages
    assert case.body == "(사진)" and url not in case.body  # the link stays in the raw event, not in the text
    assert message.raw["image_url"] == url
    [photo] = message.attachments
    assert photo.content_type == "image/jpeg"


def test_a_photo_that_cannot_be_fetched_still_makes_the_case(
    session: Session, naver_client: TestClient, talk: FakeTalkTalk, account: ChannelAccount
) -> None:
    url = f"{talk.base_url}/gone.jpg"  # the fake answers 404 here
    naver_client.post(f"/hooks/naver/{account.id}", content=talk.image(url))

    [case] = _cases(session)
    assert case.messages[0].attachments == [] and case.messages[0].raw["image_url"] == url


@pytest.mark.parametrize("name", ["open", "leave", "friend", "echo"])
def test_events_that_are_not_messages_store_nothing(
    session: Session, naver_client: TestClient, talk: FakeTalkTalk, account: ChannelAccount, name: str
) -> None:
    body = talk.event(name, options={"inflow": "list", "set": "on"}, textContent={"text": "우리가 보낸 답"})

    response = naver_client.post(f"/hooks/naver/{account.id}", content=body)

    assert response.status_code == 200 and _cases(session) == []


def test_the_same_event_twice_is_one_message(
    session: Session, naver_client: TestClient, talk: FakeTalkTalk, account: ChannelAccount
) -> None:
    body = talk.text("불법 현수막이 걸려 있습니다")

    naver_client.post(f"/hooks/naver/{account.id}", content=body)
    naver_client.post(f"/hooks/naver/{account.id}", content=body)

    assert len(_cases(session)) == 1 and len(session.scalars(select(Message)).all()) == 1


def test_a_caller_outside_naver_is_refused_and_logged(
    session: Session,
    client: TestClient,
    talk: FakeTalkTalk,
    account: ChannelAccount,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="sotong.channels.webhooks"):
        response = client.post(f"/hooks/naver/{account.id}", content=talk.text("민원"))  # from "testclient"

    assert response.status_code == 403 and "allowed networks" in response.json()["error"]
    assert any("allowed networks" in r.getMessage() for r in caplog.records)
    assert _cases(session) == []
    health = session.get(AccountHealth, account.id)
    assert health is not None and "allowed networks" in (health.last_error or "")


def test_the_webhook_token_is_checked_when_configured(
    session: Session, naver_client: TestClient, talk: FakeTalkTalk, account: ChannelAccount
) -> None:
    account.config = {**account.config, "webhook_token": "hook-secret-5d1"}
    session.commit()
    body = talk.text("가로등 고장")

    assert naver_client.post(f"/hooks/naver/{account.id}", content=body).status_code == 401
    assert naver_client.post(f"/hooks/naver/{account.id}?token=wrong", content=body).status_code == 403
    assert _cases(session) == []
    assert naver_client.post(f"/hooks/naver/{account.id}?token=hook-secret-5d1", content=body).status_code == 200
    assert len(_cases(session)) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{oops", "not JSON"),
        (b'{"user": "u-1", "textContent": {"text": "x"}}', "no event name"),
        (b'{"event": "send", "user": "u-1"}', "without textContent or imageContent"),
        (b'{"event": "send", "textContent": {"text": "x"}}', "without its user"),
    ],
)
def test_a_malformed_event_is_400_with_its_reason(
    session: Session, naver_client: TestClient, account: ChannelAccount, body: bytes, reason: str
) -> None:
    response = naver_client.post(f"/hooks/naver/{account.id}", content=body)

    assert response.status_code == 400 and reason in response.json()["error"]
    assert _cases(session) == []


def test_a_wrong_authorization_fails_for_good(
    session: Session, naver_client: TestClient, talk: FakeTalkTalk, account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    account.config = {**account.config, "authorization": "revoked"}
    session.commit()
    naver_client.post(f"/hooks/naver/{account.id}", content=talk.text("소음 민원"))
    fall_silent(session)

    deliver()

    [item] = outbox(session, _cases(session)[0].id)
    assert item.status is OutboxStatus.failed and "resultCode 01" in (item.last_error or "")
    assert talk.sent == []


@pytest.mark.parametrize("trouble", ["busy", "down"])
def test_talktalk_trouble_is_retried(
    session: Session,
    naver_client: TestClient,
    talk: FakeTalkTalk,
    account: ChannelAccount,
    deliver: Callable[[], int],
    trouble: str,
) -> None:
    naver_client.post(f"/hooks/naver/{account.id}", content=talk.text("도로 파손"))
    fall_silent(session)
    setattr(talk, trouble, True)

    deliver()

    [item] = outbox(session, _cases(session)[0].id)
    assert item.status is OutboxStatus.pending and item.attempts == 1 and talk.sent == []


def test_a_push_taken_in_but_unanswered_is_not_sent_again(
    session: Session, naver_client: TestClient, talk: FakeTalkTalk, account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    """TalkTalk takes no idempotency key: a push whose answer is lost may have reached the citizen, so it is shown
    on the case as "outcome unknown" for a person to settle instead of being retried into a second copy."""
    naver_client.post(f"/hooks/naver/{account.id}", content=talk.text("도로 파손"))
    fall_silent(session)
    with swallowing() as platform:
        account.config = {**account.config, "api_url": platform.base_url}
        session.commit()
        deliver()
        deliver()
    [item] = outbox(session, _cases(session)[0].id)
    assert platform.received == 1
    assert item.status is OutboxStatus.unknown and item.attempts == 1
    assert item.error_code == "outcome_unknown" and "outcome unknown" in (item.last_error or "")
