"""The skill server refuses what Open Builder would not send, stores a resent request once, and surfaces the
Event API's refusals on the case."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Message
from sotong.channels.health import AccountHealth
from sotong.channels.kakao.models import KakaoSkillTurn
from sotong.orgs.models import ChannelAccount
from sotong.outbox.models import OutboxStatus
from sotong.text.korean import morphemes
from tests.channels.conftest import answer_case, outbox
from tests.channels.kakao_support import cases, kakao_account, skill, texts, through_the_cdn
from tests.factories import World
from tests.fakes import kakao as fake_kakao
from tests.fakes.kakao import FakeKakao


@pytest.fixture(autouse=True, scope="module")
def _warm_analyser() -> None:
    """Load the Korean analyser once before intake is timed (see test_kakao_e2e)."""
    morphemes().words("가로등 워밍업")


@pytest.fixture
def kakao(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKakao]:
    with fake_kakao.running() as fake:
        through_the_cdn(monkeypatch, fake)
        yield fake


@pytest.fixture
def account(session: Session, world: World, kakao: FakeKakao) -> ChannelAccount:
    return kakao_account(session, world, kakao)


def _nothing_stored(session: Session) -> None:
    assert cases(session) == []
    assert session.scalars(select(Message)).all() == []
    assert session.scalars(select(KakaoSkillTurn)).all() == []


@pytest.mark.parametrize(
    ("header", "status", "reason"),
    [(None, 401, "no x-sotong-skill-token header"), ("not-the-token", 403, "does not match")],
)
def test_a_request_without_the_skill_token_is_refused_and_logged(
    session: Session,
    client: TestClient,
    kakao: FakeKakao,
    account: ChannelAccount,
    caplog: pytest.LogCaptureFixture,
    header: str | None,
    status: int,
    reason: str,
) -> None:
    body, headers = kakao.skill_request("도로가 파였어요")
    headers = {k: v for k, v in headers.items() if k != "X-Sotong-Skill-Token"}
    if header is not None:
        headers["X-Sotong-Skill-Token"] = header

    with caplog.at_level(logging.WARNING, logger="sotong.channels.webhooks"):
        response = client.post(f"/hooks/kakao/{account.id}", content=body, headers=headers)

    assert response.status_code == status and reason in response.json()["error"]
    assert any(reason in record.getMessage() for record in caplog.records)
    _nothing_stored(session)
    health = session.get(AccountHealth, account.id)
    assert health is not None and reason in (health.last_error or "") and health.last_ok_at is None


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda body: b"{not json", "not JSON"),
        (lambda body: json.dumps({**json.loads(body), "userRequest": None}).encode(), "userRequest"),
        (
            lambda body: json.dumps(
                {**json.loads(body), "action": {**json.loads(body)["action"], "params": {"photo": "no json"}}}
            ).encode(),
            "secure-image",
        ),
    ],
)
def test_a_malformed_request_is_400_with_its_reason(
    session: Session,
    client: TestClient,
    kakao: FakeKakao,
    account: ChannelAccount,
    mutate: Callable[[bytes], bytes],
    reason: str,
) -> None:
    body, headers = kakao.skill_request("보도블럭 파손")

    response = client.post(f"/hooks/kakao/{account.id}", content=mutate(body), headers=headers)

    assert response.status_code == 400 and reason in response.json()["error"]
    _nothing_stored(session)


def test_an_unknown_or_other_channel_or_disabled_account_takes_nothing_in(
    session: Session, world: World, client: TestClient, kakao: FakeKakao, account: ChannelAccount
) -> None:
    body, headers = kakao.skill_request("불법 주정차")

    assert client.post("/hooks/kakao/999999", content=body, headers=headers).status_code == 404
    assert client.post(f"/hooks/kakao/{world.x_account.id}", content=body, headers=headers).status_code == 404
    account.enabled = False
    session.commit()
    assert client.post(f"/hooks/kakao/{account.id}", content=body, headers=headers).status_code == 403
    _nothing_stored(session)


def test_the_same_request_twice_makes_one_case_and_says_so(
    session: Session, client: TestClient, kakao: FakeKakao, account: ChannelAccount
) -> None:
    request = kakao.skill_request("민원 접수", params={"what": "신호등 고장", "where": "잠실역 4번 출구"})

    first = skill(client, account, request)
    second = skill(client, account, request)

    [case] = cases(session)
    assert case.number in texts(first.json())[0]
    health = session.get(AccountHealth, account.id)
    assert health is not None and health.last_intake_at is not None and health.last_error is None
    assert "이미 접수된 민원" in texts(second.json())[0] and case.number in texts(second.json())[0]
    assert len(session.scalars(select(Message)).all()) == 1


def test_a_user_who_blocked_the_channel_fails_for_good(
    session: Session,
    world: World,
    client: TestClient,
    kakao: FakeKakao,
    account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    skill(client, account, kakao.skill_request("소음 민원", user="blocker"))
    [case] = cases(session)
    kakao.blocked_users.add("blocker")
    answer_case(session, world, case.id, "현장을 확인했습니다.")

    deliver()

    answer = outbox(session, case.id)[-1]
    assert answer.status is OutboxStatus.failed and "blocked" in (answer.last_error or "")


def test_throttling_waits_for_retry_after(
    session: Session,
    world: World,
    client: TestClient,
    kakao: FakeKakao,
    account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    skill(client, account, kakao.skill_request("가로수 정비 요청", user="user-3"))
    [case] = cases(session)
    answer_case(session, world, case.id, "정비했습니다.")
    kakao.throttled = True

    deliver()

    answer = outbox(session, case.id)[-1]
    assert answer.status is OutboxStatus.pending and "-10" in (answer.last_error or "")
    assert answer.next_attempt_at >= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=25)


def test_a_wrong_rest_api_key_fails_for_good(
    session: Session, world: World, client: TestClient, kakao: FakeKakao, deliver: Callable[[], int]
) -> None:
    account = kakao_account(session, world, kakao, rest_api_key="revoked-key")
    skill(client, account, kakao.skill_request("맨홀 뚜껑", user="user-4"))
    [case] = cases(session)
    answer_case(session, world, case.id, "고정했습니다.")

    deliver()

    answer = outbox(session, case.id)[-1]
    assert answer.status is OutboxStatus.failed and "401" in (answer.last_error or "")
    assert kakao.events == []
