"""A citizen writes to 송파구청's KakaoTalk channel: the receipt comes back in the chat (at once, or through
the callback when intake is slow), the officer's answer arrives by the Event API in the same 1:1 chat."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Attachment, CaseStatus
from sotong.channels.kakao.models import KakaoSkillTurn
from sotong.orgs.models import ChannelAccount
from sotong.outbox.models import OutboxStatus
from sotong.text.korean import morphemes
from tests.channels.conftest import answer_case, outbox
from tests.channels.kakao_support import cases, kakao_account, skill, texts, through_the_cdn, wait_for_case
from tests.factories import World
from tests.fakes import kakao as fake_kakao
from tests.fakes.kakao import FakeKakao, skill_response_problem


@pytest.fixture(autouse=True, scope="module")
def _warm_analyser() -> None:
    """Load the Korean morpheme analyser (seconds, once per process) before timing intake, as a server has
    done long before its first message; otherwise the fast-path tests would measure the model loading."""
    morphemes().words("가로등 워밍업")


@pytest.fixture
def kakao(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKakao]:
    with fake_kakao.running() as fake:
        through_the_cdn(monkeypatch, fake)
        yield fake


@pytest.fixture
def account(session: Session, world: World, kakao: FakeKakao) -> ChannelAccount:
    return kakao_account(session, world, kakao)


def test_fast_intake_answers_with_the_receipt_and_the_answer_comes_by_event_api(
    session: Session,
    world: World,
    client: TestClient,
    kakao: FakeKakao,
    account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    request = kakao.skill_request(
        "민원 접수", user="user-7001", params={"what": "가로등이 깜빡거려요", "where": "송파대로 123 앞"}
    )

    response = skill(client, account, request)

    assert response.status_code == 200 and skill_response_problem(response.json()) is None
    [case] = cases(session)
    assert case.body == "가로등이 깜빡거려요" and case.address == "송파대로 123 앞"
    assert case.author_handle == "user-7001"
    [text] = texts(response.json())
    assert case.number in text and f"/cases/{case.number}" in text
    quick = response.json()["template"]["quickReplies"][0]
    assert quick["messageText"] == f"{case.number} 조회"

    deliver()  # the receipt row is settled without a second message: the skill response carried it

    [receipt] = outbox(session, case.id)
    assert receipt.status is OutboxStatus.sent and receipt.external_ref == "skill-response"
    assert kakao.events == [] and kakao.callback_bodies() == []

    answer_case(session, world, case.id, "가로등을 교체했습니다.")
    deliver()

    [event] = kakao.events
    assert event["user"] == [{"type": "botUserKey", "id": "user-7001"}]
    assert event["event"]["name"] == "sotong_message"
    assert "가로등을 교체했습니다." in event["event"]["data"]["text"]
    assert case.number in event["event"]["data"]["text"]
    talk = [r for r in kakao.requests if r.path.endswith("/talk")][-1]
    assert talk.headers["authorization"] == f"KakaoAK {kakao.rest_api_key}"
    answer_item = outbox(session, case.id)[-1]
    assert answer_item.status is OutboxStatus.sent and answer_item.external_ref == event["taskId"]


def test_slow_intake_answers_use_callback_and_the_receipt_goes_to_the_callback_url(
    session: Session, world: World, client: TestClient, kakao: FakeKakao, deliver: Callable[[], int]
) -> None:
    account = kakao_account(session, world, kakao, answer_within_seconds=0.2)
    kakao.image_delay = 1.0  # the secure-image CDN is slow today
    photo = kakao.photo()
    request = kakao.skill_request(
        "민원 접수",
        params={"what": "보도블럭이 깨졌어요", "where": "석촌호수 동호", "photo": kakao.secure_image_param([photo])},
    )

    response = skill(client, account, request)

    assert response.status_code == 200
    assert response.json()["version"] == "2.0" and response.json()["useCallback"] is True
    case = wait_for_case(session)
    turn = session.scalars(select(KakaoSkillTurn)).one()
    assert turn.mode == "callback" and turn.callback_url is not None

    deliver()

    [callback] = kakao.callback_bodies()
    assert skill_response_problem(callback) is None
    assert case.number in texts(callback)[0]
    assert kakao.events == []  # the receipt went once, to the callback
    assert (outbox(session, case.id)[0].external_ref or "").startswith("callback:")
    [stored] = session.scalars(select(Attachment)).all()
    assert stored.content_type == "image/jpeg" and stored.size == len(fake_kakao.PHOTO)


def test_a_stale_callback_falls_back_to_the_event_api(
    session: Session, world: World, client: TestClient, kakao: FakeKakao, deliver: Callable[[], int]
) -> None:
    account = kakao_account(session, world, kakao, answer_within_seconds=0.2)
    kakao.image_delay = 1.0
    request = kakao.skill_request(
        "민원 접수", user="user-slow", params={"what": "불법주차", "photo": kakao.secure_image_param([kakao.photo()])}
    )
    assert skill(client, account, request).json()["useCallback"] is True
    case = wait_for_case(session)
    for callback in kakao.callbacks.values():
        callback.created -= 120  # the worker was down for two minutes: Kakao no longer takes the callback

    deliver()

    assert kakao.callback_bodies() == []
    [event] = kakao.events
    assert event["user"][0]["id"] == "user-slow" and case.number in event["event"]["data"]["text"]


def test_slow_intake_without_a_callback_holds_and_sends_the_receipt_by_event_api(
    session: Session,
    world: World,
    client: TestClient,
    kakao: FakeKakao,
    deliver: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sotong.channels.kakao.skill.HARD_LIMIT_SECONDS", 0.5)  # Kakao's 5 s, scaled down
    account = kakao_account(session, world, kakao, answer_within_seconds=0.2)
    kakao.image_delay = 1.5
    request = kakao.skill_request(
        "민원 접수",
        user="no-callback",
        params={"what": "하수구 악취", "photo": kakao.secure_image_param([kakao.photo()])},
        callback=False,
    )

    response = skill(client, account, request)

    assert "useCallback" not in response.json() and "잠시만" in texts(response.json())[0]
    case = wait_for_case(session)
    assert session.scalars(select(KakaoSkillTurn)).one().mode == "event"

    deliver()

    [event] = kakao.events
    assert event["user"][0]["id"] == "no-callback" and case.number in event["event"]["data"]["text"]


def test_a_slow_failure_after_the_holding_text_is_told_by_event_api(
    session: Session,
    world: World,
    client: TestClient,
    kakao: FakeKakao,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sotong.channels.kakao.skill.HARD_LIMIT_SECONDS", 0.5)
    account = kakao_account(session, world, kakao, answer_within_seconds=0.2)
    kakao.image_delay = 1.5
    url = kakao.photo()
    kakao.expire(url)
    request = kakao.skill_request(
        "민원 접수", user="u-late", params={"what": "x", "photo": kakao.secure_image_param([url])}, callback=False
    )

    assert "잠시만" in texts(skill(client, account, request).json())[0]

    deadline = time.monotonic() + 15
    while not kakao.events and time.monotonic() < deadline:
        time.sleep(0.05)
    [event] = kakao.events
    assert event["user"][0]["id"] == "u-late" and "사진을 내려받지 못했습니다" in event["event"]["data"]["text"]
    assert cases(session) == []


def test_photos_are_fetched_at_once_and_stored_with_the_message(
    session: Session, client: TestClient, kakao: FakeKakao, account: ChannelAccount
) -> None:
    urls = [kakao.photo(), kakao.photo()]
    request = kakao.skill_request(
        "민원 접수", params={"what": "쓰레기 무단투기", "photo": kakao.secure_image_param(urls)}
    )

    response = skill(client, account, request)

    assert response.status_code == 200 and "useCallback" not in response.json()
    [case] = cases(session)
    assert len(session.scalars(select(Attachment)).all()) == 2
    assert case.number in texts(response.json())[0]


def test_an_expired_photo_stores_nothing_and_asks_for_it_again(
    session: Session, client: TestClient, kakao: FakeKakao, account: ChannelAccount
) -> None:
    url = kakao.photo()
    kakao.expire(url)
    request = kakao.skill_request("민원 접수", params={"what": "사진 첨부", "photo": kakao.secure_image_param([url])})

    response = skill(client, account, request)

    assert response.status_code == 200 and "사진" in texts(response.json())[0]
    assert cases(session) == [] and session.scalars(select(KakaoSkillTurn)).all() == []


def test_a_photo_url_off_the_image_host_is_never_fetched(
    session: Session, client: TestClient, kakao: FakeKakao, account: ChannelAccount
) -> None:
    inside = f"{kakao.base_url}/v2/bots/{kakao.bot_id}/talk"  # any address but the CDN's
    request = kakao.skill_request("민원 접수", params={"what": "주차", "photo": kakao.secure_image_param([inside])})

    response = skill(client, account, request)

    assert response.status_code == 200 and cases(session) == []
    assert not any(r.path.endswith("/talk") for r in kakao.requests)


def test_status_lookup_by_case_number_in_the_chat(
    session: Session, world: World, client: TestClient, kakao: FakeKakao, account: ChannelAccount
) -> None:
    skill(client, account, kakao.skill_request("인도에 싱크홀이 생겼어요", user="user-9"))
    [case] = cases(session)
    answer_case(session, world, case.id, "복구 공사를 마쳤습니다.")

    response = skill(client, account, kakao.skill_request(f"{case.number} 조회", user="user-9"))

    [text] = texts(response.json())
    assert case.number in text and "답변 완료" in text and "복구 공사를 마쳤습니다." in text
    assert len(cases(session)) == 1  # a question about a case is not a new case

    other = skill(client, account, kakao.skill_request(f"{case.number} 조회", user="someone-else"))
    assert "찾을 수 없습니다" in texts(other.json())[0] and "복구" not in texts(other.json())[0]


def test_a_greeting_gets_the_menu_and_opens_nothing(
    session: Session, client: TestClient, kakao: FakeKakao, account: ChannelAccount
) -> None:
    response = skill(client, account, kakao.skill_request("안녕하세요"))

    assert skill_response_problem(response.json()) is None
    assert response.json()["template"]["quickReplies"][0]["messageText"] == "민원 접수"
    assert cases(session) == []


def test_chatter_in_the_complaint_block_is_thanked_without_a_case_to_look_up(
    session: Session, world: World, client: TestClient, kakao: FakeKakao
) -> None:
    # Time enough for a first triage model load on a busy machine: the answer is the skill response itself.
    account = kakao_account(session, world, kakao, answer_within_seconds=60)
    request = kakao.skill_request("민원 접수", user="user-7002", params={"what": "구청장님 화이팅! 오늘 날씨 좋네요"})

    response = skill(client, account, request)

    assert response.status_code == 200 and skill_response_problem(response.json()) is None
    [case] = cases(session)
    assert case.status is CaseStatus.rejected  # hidden at intake: no case to follow
    [text] = texts(response.json())
    assert "감사합니다" in text and case.number not in text
    assert not response.json()["template"].get("quickReplies")  # no "처리 상황 조회" of a case that is not one
