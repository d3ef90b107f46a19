"""A citizen writes one complaint as several chat bubbles (text, text, text, photo): one case, one receipt, all
the messages, on TalkTalk, Messenger and KakaoTalk; later words follow the open case up, or start a new one once
it is closed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.app import create_app
from sotong.audit.models import AuditEvent
from sotong.cases import actions
from sotong.cases.models import Attachment, Case, CaseStatus, Conversation, ConversationStatus, Message
from sotong.channels import accounts as channel_accounts
from sotong.channels.intake.conversations import close_silent
from sotong.db import session_factory, utcnow
from sotong.orgs.models import Channel, ChannelAccount
from sotong.settings import Settings
from tests.channels.conftest import answer_case, fall_silent, outbox
from tests.channels.kakao_support import kakao_account, skill, texts, through_the_cdn
from tests.factories import World
from tests.fakes import kakao as fake_kakao
from tests.fakes import naver as fake_naver
from tests.fakes.graph import FakeGraph
from tests.fakes.kakao import FakeKakao
from tests.fakes.naver import NAVER_ADDRESS, FakeTalkTalk


@pytest.fixture
def talk() -> Iterator[FakeTalkTalk]:
    with fake_naver.running() as fake:
        yield fake


@pytest.fixture
def talktalk(session: Session, world: World, talk: FakeTalkTalk) -> ChannelAccount:
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
    with TestClient(create_app(settings=settings, engine=engine), client=(NAVER_ADDRESS, 40000)) as c:
        yield c


@pytest.fixture
def kakao(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKakao]:
    with fake_kakao.running() as fake:
        through_the_cdn(monkeypatch, fake)
        yield fake


def _cases(session: Session) -> list[Case]:
    session.expire_all()
    return list(session.scalars(select(Case).order_by(Case.id)))


def _messages(session: Session) -> list[Message]:
    session.expire_all()
    return list(session.scalars(select(Message).order_by(Message.id)))


def _one_case_of_four(session: Session, texts_in_order: list[str]) -> Case:
    """The conversation's one case: the three texts in order, the photo among its four messages."""
    [case] = _cases(session)
    for text in texts_in_order:
        assert text in case.body
    assert case.body.index(texts_in_order[0]) < case.body.index(texts_in_order[-1])
    messages = _messages(session)
    assert len(messages) == 4 and {m.case_id for m in messages} == {case.id}
    photos = session.scalars(select(Attachment).where(Attachment.message_id.in_([m.id for m in messages]))).all()
    assert len(photos) == 1
    [receipt] = outbox(session, case.id)
    assert receipt.kind == "receipt"
    [conversation] = session.scalars(select(Conversation)).all()
    assert conversation.status is ConversationStatus.opened and conversation.case_id == case.id
    return case


TALK = ["안녕하세요", "집 앞 공원 가로등이 사흘째 꺼져 있어요", "송파대로 123 앞입니다"]
# On KakaoTalk a greeting alone is answered with the bot's menu, before intake: the bubbles are all complaint.
KAKAO = ["집 앞 공원 가로등이 사흘째 꺼져 있어요", "밤에는 너무 어두워요", "송파대로 123 앞입니다"]


def test_talktalk_three_bubbles_and_a_photo_are_one_case_and_one_receipt(
    session: Session,
    naver_client: TestClient,
    talk: FakeTalkTalk,
    talktalk: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    for text in TALK:
        assert naver_client.post(f"/hooks/naver/{talktalk.id}", content=talk.text(text, user="u-5")).status_code == 200
    photo = f"{talk.base_url}/images/20261207/lamp.jpg"
    naver_client.post(f"/hooks/naver/{talktalk.id}", content=talk.image(photo, user="u-5"))

    assert _cases(session) == [] and len(_messages(session)) == 4  # stored at once, no case while they write
    assert close_silent(session_factory(session.get_bind()), now=utcnow() + dt.timedelta(minutes=1)) == 0
    deliver()
    assert talk.sent == []

    assert fall_silent(session) == 1

    case = _one_case_of_four(session, TALK)
    # Triage's first look read the whole conversation: the greeting alone would be chatter, hidden at once.
    assert case.status is CaseStatus.received and case.author_handle == "u-5"
    deliver()
    [receipt] = talk.sent
    assert receipt["user"] == "u-5" and case.number in receipt["textContent"]["text"]


def test_messenger_three_bubbles_and_a_photo_are_one_case_and_one_receipt(
    session: Session,
    client: TestClient,
    graph: FakeGraph,
    facebook_account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    bodies = [graph.messenger(text, psid="7100")[1] for text in TALK]
    bodies.append(graph.messenger("", psid="7100", photo=True)[1])
    for body in bodies:
        assert client.post(f"/hooks/facebook/{facebook_account.id}", content=body, headers=graph.sign(body)).is_success

    assert _cases(session) == [] and len(_messages(session)) == 4
    assert fall_silent(session) == 1

    case = _one_case_of_four(session, TALK)
    deliver()
    [receipt] = graph.sent_messages
    assert receipt["recipient"] == "7100" and case.number in receipt["text"]


def test_kakao_bubbles_are_told_to_go_on_and_the_one_receipt_comes_by_the_event_api(
    session: Session,
    world: World,
    client: TestClient,
    kakao: FakeKakao,
    deliver: Callable[[], int],
) -> None:
    account = kakao_account(session, world, kakao)
    answers = [texts(skill(client, account, kakao.skill_request(text, user="kk-1")).json())[0] for text in KAKAO]
    photo = kakao.skill_request("사진", user="kk-1", params={"photo": kakao.secure_image_param([kakao.photo()])})
    answers.append(texts(skill(client, account, photo).json())[0])

    # The first bubble hears what will happen; the next ones that they were added. No case number yet.
    assert "이어서 보내 주세요" in answers[0] and "3분" in answers[0]
    assert all("이어서 받았습니다" in answer for answer in answers[1:])
    assert _cases(session) == [] and len(_messages(session)) == 4
    deliver()
    assert kakao.events == []

    assert fall_silent(session) == 1

    case = _one_case_of_four(session, KAKAO)
    deliver()
    [event] = kakao.events  # the skill's callback has long expired: the receipt goes by the Event API
    assert event["user"] == [{"type": "botUserKey", "id": "kk-1"}] and case.number in event["event"]["data"]["text"]
    assert kakao.callback_bodies() == []


def test_a_bubble_after_the_window_follows_the_open_case_up(
    session: Session,
    naver_client: TestClient,
    talk: FakeTalkTalk,
    talktalk: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    naver_client.post(f"/hooks/naver/{talktalk.id}", content=talk.text("보도블록이 깨졌어요", user="u-6"))
    fall_silent(session)
    [case] = _cases(session)
    deliver()

    naver_client.post(f"/hooks/naver/{talktalk.id}", content=talk.text("아직 그대로입니다", user="u-6"))

    assert [c.id for c in _cases(session)] == [case.id]
    assert [m.case_id for m in _messages(session)] == [case.id, case.id]
    assert fall_silent(session) == 0  # no new conversation was started
    follow_ups = session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "case.follow_up")
    ).all()
    assert len(follow_ups) == 1
    assert [item.kind for item in outbox(session, case.id)] == ["receipt"]  # no second receipt


def test_after_the_case_is_closed_the_next_words_are_a_new_case(
    session: Session,
    world: World,
    naver_client: TestClient,
    talk: FakeTalkTalk,
    talktalk: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    naver_client.post(f"/hooks/naver/{talktalk.id}", content=talk.text("불법 현수막이 있어요", user="u-8"))
    fall_silent(session)
    [first] = _cases(session)
    answer_case(session, world, first.id, "현수막을 철거했습니다.")
    actions.close(session, actor=world.actor(world.officer), case_id=first.id)

    naver_client.post(f"/hooks/naver/{talktalk.id}", content=talk.text("다른 곳에 또 생겼어요", user="u-8"))
    naver_client.post(f"/hooks/naver/{talktalk.id}", content=talk.text("잠실역 2번 출구입니다", user="u-8"))
    assert len(_cases(session)) == 1
    assert fall_silent(session) == 1

    first_again, second = _cases(session)
    assert first_again.status is CaseStatus.closed
    assert "다른 곳에 또 생겼어요" in second.body and "잠실역 2번 출구입니다" in second.body
    assert len(second.messages) == 2
    assert [item.kind for item in outbox(session, second.id)] == ["receipt"]


def test_each_citizen_has_a_conversation_of_their_own(
    session: Session, naver_client: TestClient, talk: FakeTalkTalk, talktalk: ChannelAccount
) -> None:
    naver_client.post(f"/hooks/naver/{talktalk.id}", content=talk.text("쓰레기 무단투기", user="u-1"))
    naver_client.post(f"/hooks/naver/{talktalk.id}", content=talk.text("소음이 심해요", user="u-2"))
    naver_client.post(f"/hooks/naver/{talktalk.id}", content=talk.text("밤마다 그래요", user="u-2"))

    assert fall_silent(session) == 2

    by_author = {case.author_handle: case for case in _cases(session)}
    assert set(by_author) == {"u-1", "u-2"}
    assert len(by_author["u-2"].messages) == 2 and len(by_author["u-1"].messages) == 1


def test_a_window_of_zero_makes_each_bubble_a_case(
    session: Session, naver_client: TestClient, talk: FakeTalkTalk, talktalk: ChannelAccount
) -> None:
    talktalk.config = {**talktalk.config, "conversation_minutes": 0}
    session.commit()

    naver_client.post(f"/hooks/naver/{talktalk.id}", content=talk.text("가로등 고장", user="u-3"))

    assert len(_cases(session)) == 1 and session.scalars(select(Conversation)).all() == []
