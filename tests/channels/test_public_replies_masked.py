"""A reply everyone can read (a public Mastodon thread) is masked like the portal; a private channel (TalkTalk)
hands the citizen the officer's words as written."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.app import create_app
from sotong.cases.models import Case
from sotong.channels import accounts as channel_accounts
from sotong.channels.mastodon.poll import poll
from sotong.orgs.models import Channel, ChannelAccount
from sotong.settings import Settings
from tests.channels.conftest import answer_case
from tests.factories import World
from tests.fakes import naver as fake_naver
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.naver import NAVER_ADDRESS, FakeTalkTalk

ANSWER = "홍길동님 댁 앞 보도블럭을 교체했습니다. 문의는 010-2345-6789로 주세요."


def test_a_public_thread_reply_is_masked(
    session: Session, world: World, mastodon: FakeMastodon, mastodon_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    mastodon.mention("석촌호수 앞 보도블럭이 깨졌어요. 제 번호 010-9876-5432", author=mastodon.citizen())
    poll(session, account_id=mastodon_account.id)
    case = session.scalars(select(Case).where(Case.channel_account_id == mastodon_account.id)).one()
    deliver()
    answer_case(session, world, case.id, ANSWER)
    deliver()
    answer = mastodon.posted()[-1]
    assert answer["visibility"] == "public"
    assert "010-2345-6789" not in answer["content"] and "홍길동" not in answer["content"]
    assert "[전화번호]" in answer["content"] and "보도블럭을 교체했습니다" in answer["content"]


@pytest.fixture
def talk() -> Iterator[FakeTalkTalk]:
    with fake_naver.running() as fake:
        yield fake


def test_a_private_chat_gets_the_words_as_written(
    session: Session, world: World, settings: Settings, engine: Engine, talk: FakeTalkTalk, deliver: Callable[[], int]
) -> None:
    account = channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.naver,
        handle="wc1234",
        department_id=world.roads.id,
        config={"authorization": talk.authorization, "api_url": talk.base_url, "conversation_minutes": 0},
    )
    with TestClient(create_app(settings=settings, engine=engine), client=(NAVER_ADDRESS, 40000)) as client:
        response = client.post(f"/hooks/naver/{account.id}", content=talk.text("공원 화장실이 막혔어요", user="u-7"))
    assert response.status_code == 200
    case = session.scalars(select(Case).where(Case.channel_account_id == account.id)).one()
    deliver()
    answer_case(session, world, case.id, ANSWER)
    deliver()
    sent = talk.sent[-1]["textContent"]["text"]
    assert "010-2345-6789" in sent and "홍길동님" in sent
