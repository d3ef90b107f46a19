"""KakaoTalk and TalkTalk ask 공개/비공개 (issue 13 item 3), default 비공개 as 국민신문고 does: a chat's case opens
private, its receipt asks (a quick reply or buttons); 공개 lifts the default (the case then waits in 공개 검토),
비공개 makes it private for good; without an answer nobody, not even triage's automatic release, can publish it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.app import create_app
from sotong.audit.models import AuditEvent
from sotong.cases import actions
from sotong.cases.models import Case, ComplaintType, Message
from sotong.channels import accounts as channel_accounts
from sotong.channels.naver.connector import PUBLIC_CODE
from sotong.errors import IllegalTransition
from sotong.orgs.actions import set_publication
from sotong.orgs.models import Channel, ChannelAccount
from sotong.settings import Settings
from tests.channels.conftest import fall_silent
from tests.channels.kakao_support import kakao_account, skill, texts
from tests.factories import World
from tests.fakes import kakao as fake_kakao
from tests.fakes import naver as fake_naver
from tests.fakes.kakao import FakeKakao
from tests.fakes.naver import NAVER_ADDRESS, FakeTalkTalk

ASKED = "'공개'라고 보내 주세요"


@pytest.fixture
def kakao() -> Iterator[FakeKakao]:
    with fake_kakao.running() as fake:
        yield fake


def _kakao_case(session: Session, world: World, client: TestClient, kakao: FakeKakao) -> tuple[ChannelAccount, Case]:
    # The receipt in the skill response whatever the machine's load (the callback path is tested in test_kakao_e2e).
    account = kakao_account(session, world, kakao, answer_within_seconds=60)
    request = kakao.skill_request("민원 접수", user="user-42", params={"what": "가로등이 깜빡거려요 010-2345-6789"})
    response = skill(client, account, request)
    assert response.status_code == 200
    [text] = texts(response.json())
    assert ASKED in text  # the receipt asks
    replies = {q["label"]: q["messageText"] for q in response.json()["template"]["quickReplies"]}
    assert replies["공개"] == "공개" and replies["비공개 유지"] == "비공개 유지"
    session.expire_all()
    case = session.scalars(select(Case)).one()
    return account, case


def test_kakao_opens_private_and_the_citizens_public_lets_it_be_released(
    session: Session, world: World, client: TestClient, kakao: FakeKakao
) -> None:
    account, case = _kakao_case(session, world, client, kakao)
    assert case.citizen_private and not case.is_public
    operator = world.actor(world.operator)
    with pytest.raises(IllegalTransition):
        actions.release(session, actor=operator, case_id=case.id)
    set_publication(session, actor=CLI, org_id=world.songpa.id, auto_release=True, sign_answers=True)
    assert actions.auto_release(session, case_id=case.id) is False  # no answer yet: never released by itself

    response = skill(client, account, kakao.skill_request("공개", user="user-42"))

    assert "공개로 바꿨습니다" in texts(response.json())[0] and case.number in texts(response.json())[0]
    session.expire_all()
    assert session.scalar(select(func.count(Case.id))) == 1  # an answer, not a new complaint
    assert session.scalar(select(func.count(Message.id))) == 1
    chosen = session.get(Case, case.id)
    assert chosen is not None and not chosen.citizen_private and chosen.is_public and chosen.released_at is None
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "case.public_chosen")) is not None
    actions.release(session, actor=operator, case_id=case.id)  # 공개 검토 as for any case
    assert client.get(f"/cases/{case.number}").status_code == 200


def test_kakao_private_is_final(session: Session, world: World, client: TestClient, kakao: FakeKakao) -> None:
    account, case = _kakao_case(session, world, client, kakao)
    kept = skill(client, account, kakao.skill_request("비공개 유지", user="user-42"))
    assert "비공개로 정했습니다" in texts(kept.json())[0]
    refused = skill(client, account, kakao.skill_request("공개", user="user-42"))
    assert "다시 공개할 수 없습니다" in texts(refused.json())[0]
    session.expire_all()
    assert session.get(Case, case.id).citizen_private  # type: ignore[union-attr]
    with pytest.raises(IllegalTransition):
        actions.release(session, actor=world.actor(world.operator), case_id=case.id)
    # Someone else saying 공개 in their own chat changes nothing here: it is their message, taken in as such.
    other = skill(client, account, kakao.skill_request("공개", user="user-43"))
    assert "공개로 바꿨습니다" not in texts(other.json())[0]


@pytest.fixture
def talk() -> Iterator[FakeTalkTalk]:
    with fake_naver.running() as fake:
        yield fake


@pytest.fixture
def naver_client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings=settings, engine=engine), client=(NAVER_ADDRESS, 40000)) as c:
        yield c


def test_talktalk_receipt_buttons_and_the_citizens_answer(
    session: Session,
    world: World,
    naver_client: TestClient,
    talk: FakeTalkTalk,
    deliver: Callable[[], int],
) -> None:
    account = channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.naver,
        handle="wc1234",
        config={"authorization": talk.authorization, "api_url": talk.base_url},
    )
    hook = f"/hooks/naver/{account.id}"
    naver_client.post(hook, content=talk.text("공원 화장실이 막혔어요", user="u-77"))
    fall_silent(session)
    session.expire_all()
    case = session.scalars(select(Case)).one()
    assert case.citizen_private and not case.is_public
    deliver()
    [receipt] = talk.sent
    assert ASKED in receipt["textContent"]["text"]
    buttons = receipt["textContent"]["quickReply"]["buttonList"]
    assert [b["data"]["title"] for b in buttons] == ["공개", "비공개 유지"]

    press = talk.event("send", "u-77", textContent={"text": "공개", "code": PUBLIC_CODE, "inputType": "button"})
    assert naver_client.post(hook, content=press).status_code == 200
    naver_client.post(hook, content=press)  # TalkTalk delivers it again: one answer, one confirmation
    deliver()

    session.expire_all()
    chosen = session.get(Case, case.id)
    assert chosen is not None and not chosen.citizen_private and chosen.is_public
    assert session.scalar(select(func.count(Message.id))) == 1  # the answer is no message of the case
    confirmations = [m for m in talk.sent[1:] if case.number in m["textContent"]["text"]]
    assert len(confirmations) == 1 and "공개로 바꿨습니다" in confirmations[0]["textContent"]["text"]


def test_a_word_while_a_new_complaint_is_written_is_not_an_answer_for_the_old_case(
    session: Session, world: World, client: TestClient, kakao: FakeKakao
) -> None:
    account, case = _kakao_case(session, world, client, kakao)
    operator = world.actor(world.operator)
    actions.triage(session, actor=operator, case_id=case.id, complaint_type=ComplaintType.other)
    actions.answer(session, actor=operator, case_id=case.id, body="가로등을 고쳤습니다.")
    actions.close(session, actor=operator, case_id=case.id)
    skill(client, account, kakao.skill_request("놀이터 그네가 부서졌어요", user="user-42"))  # a new chat begins
    response = skill(client, account, kakao.skill_request("공개", user="user-42"))
    assert "공개로 바꿨습니다" not in texts(response.json())[0]  # a bubble of the new complaint
    session.expire_all()
    assert session.get(Case, case.id).citizen_private  # type: ignore[union-attr]
