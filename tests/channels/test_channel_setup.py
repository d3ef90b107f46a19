"""Channel set-up for a district clerk: Kakao's named and explained fields from the connector's schema, secrets
write-only, the webhook URL and skill token to paste into Open Builder, and "연결 확인" against the fake (a good
key, a bad key, a wrong bot id, an unreachable host), each answer in Korean; every change audited."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.audit.models import AuditEvent
from sotong.channels import accounts as channel_accounts
from sotong.channels.base import ProbeError
from sotong.channels.kakao.connector import KakaoConnector
from sotong.channels.naver.connector import NaverConnector
from sotong.orgs.models import Channel, ChannelAccount
from sotong.secrets import open_config
from sotong.settings import Settings
from tests.factories import World
from tests.fakes import kakao as fake_kakao
from tests.fakes import naver as fake_naver
from tests.web.conftest import login


@pytest.fixture
def kakao() -> Iterator[fake_kakao.FakeKakao]:
    with fake_kakao.running() as fake:
        yield fake


@pytest.fixture
def account(session: Session, world: World) -> ChannelAccount:
    """An account as the list page creates it: a handle, nothing set up yet."""
    return channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.kakao, handle="@songpa"
    )


def _save(client: TestClient, account: ChannelAccount, csrf: str, **fields: str) -> str:
    data = {"csrf_token": csrf, "display_name": "송파구청 카카오톡", "enabled": "1", **fields}
    response = client.post(f"/staff/admin/channels/{account.id}", data=data, follow_redirects=True)
    assert response.status_code in (200, 422), response.text
    return response.text


def _flash(html: str) -> str:
    found = re.findall(r'class="flash flash-\w+">([^<]+)<', html)
    return " ".join(found)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({}, None),
        ({"rest_api_key": "not-the-key"}, "channels.probe.kakao.bad_key"),
        ({"bot_id": "000000000000000000000000"}, "channels.probe.kakao.bad_bot"),
        ({"event_name": "no_such_block"}, "channels.probe.kakao.bad_event"),
        ({"api_url": "http://127.0.0.1:9"}, "channels.probe.unreachable"),
        ({"rest_api_key": ""}, "channels.probe.kakao.no_key"),
    ],
)
def test_the_kakao_probe_says_what_is_wrong(
    kakao: fake_kakao.FakeKakao, change: dict[str, str], reason: str | None
) -> None:
    config = {"api_url": kakao.base_url, "bot_id": kakao.bot_id, "rest_api_key": kakao.rest_api_key, **change}
    if reason is None:
        KakaoConnector().probe(config)
    else:
        with pytest.raises(ProbeError) as refused:
            KakaoConnector().probe(config)
        assert refused.value.key == reason
    assert kakao.events == []  # nothing reached anyone


def test_a_clerk_sets_up_kakao_with_named_fields_and_tests_the_connection(
    client: TestClient,
    session: Session,
    world: World,
    settings: Settings,
    kakao: fake_kakao.FakeKakao,
    account: ChannelAccount,
) -> None:
    csrf = login(client, world.admin)
    page = client.get(f"/staff/admin/channels/{account.id}").text
    for label in ("봇 ID", "REST API 키", "이벤트 블록 이름", "카카오 디벨로퍼스"):
        assert label in page
    assert f"{settings.base_url}/hooks/kakao/{account.id}" in page  # the skill URL to paste into Open Builder
    assert "연결 확인" in page

    refused = _save(client, account, csrf)  # the required bot id is missing
    assert "이 값을 입력해 주세요" in refused

    saved = _save(
        client,
        account,
        csrf,
        setting__bot_id=kakao.bot_id,
        setting__api_url=kakao.base_url,
        secret__rest_api_key="not-the-key",
    )
    assert "not-the-key" not in saved
    session.expire_all()
    stored = open_config(session.get(ChannelAccount, account.id).config)  # type: ignore[union-attr]
    assert stored["bot_id"] == kakao.bot_id and stored["rest_api_key"] == "not-the-key"
    token = stored["skill_token"]  # made on save, shown to paste into the skill's header
    assert len(token) >= 24
    page = client.get(f"/staff/admin/channels/{account.id}").text
    assert token in page and "not-the-key" not in page and "enc:v1:" not in page

    probe = client.post(f"/staff/admin/channels/{account.id}/probe", data={"csrf_token": csrf}, follow_redirects=True)
    assert "REST API 키가 맞지 않습니다" in _flash(probe.text)

    _save(
        client,
        account,
        csrf,
        setting__bot_id=kakao.bot_id,
        setting__api_url=kakao.base_url,
        secret__rest_api_key=kakao.rest_api_key,
    )
    probe = client.post(f"/staff/admin/channels/{account.id}/probe", data={"csrf_token": csrf}, follow_redirects=True)
    assert "연결을 확인했습니다" in _flash(probe.text)
    session.expire_all()
    again = open_config(session.get(ChannelAccount, account.id).config)  # type: ignore[union-attr]
    assert again["skill_token"] == token  # a saved token is kept: Open Builder still sends it
    updates = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "channel_account.updated", AuditEvent.actor_id == world.admin.id)
    ).all()
    assert len(updates) == 2
    assert kakao.rest_api_key not in str([u.before for u in updates] + [u.after for u in updates])


def test_free_text_settings_of_existing_accounts_keep_working(
    client: TestClient, session: Session, world: World, kakao: fake_kakao.FakeKakao
) -> None:
    older = channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.kakao,
        handle="@older",
        config={"bot_id": kakao.bot_id, "param_what": "complaint", "rest_api_key": kakao.rest_api_key},
    )
    csrf = login(client, world.admin)
    page = client.get(f"/staff/admin/channels/{older.id}").text
    assert f'value="{kakao.bot_id}"' in page  # the named field shows the existing value
    assert "param_what = complaint" in page  # the rest stays in the free-text box
    _save(client, older, csrf, setting__bot_id=kakao.bot_id, settings="param_what = complaint")
    session.expire_all()
    stored = open_config(session.get(ChannelAccount, older.id).config)  # type: ignore[union-attr]
    assert stored["param_what"] == "complaint" and stored["rest_api_key"] == kakao.rest_api_key


def test_the_probe_is_for_admins_of_the_account(
    client: TestClient, session: Session, world: World, account: ChannelAccount
) -> None:
    csrf = login(client, world.operator)
    response = client.post(f"/staff/admin/channels/{account.id}/probe", data={"csrf_token": csrf})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("key", "reason"),
    [("right", None), ("not-the-key", "channels.probe.naver.bad_key"), ("", "channels.probe.naver.no_key")],
)
def test_the_talktalk_probe_checks_the_send_key_and_sends_nothing(key: str, reason: str | None) -> None:
    with fake_naver.running() as talktalk:
        config = {"api_url": talktalk.base_url, "authorization": talktalk.authorization if key == "right" else key}
        if reason is None:
            NaverConnector().probe(config)
        else:
            with pytest.raises(ProbeError) as refused:
                NaverConnector().probe(config)
            assert refused.value.key == reason
        assert talktalk.sent == []


def test_talktalk_set_up_names_its_key(client: TestClient, session: Session, world: World) -> None:
    account = channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.naver, handle="songpa-talk"
    )
    login(client, world.admin)
    page = client.get(f"/staff/admin/channels/{account.id}").text
    assert "보내기 API 인증키" in page and "파트너센터" in page and "연결 확인" in page
    assert f"/hooks/naver/{account.id}" in page
