"""Set-up for a district clerk, the other platforms: X, a Facebook Page and SMS (SENS) declare their settings by
name and explained, show what to paste into the platform, and "연결 확인" asks the platform (the fakes) with the
saved settings and says in Korean what is wrong, sending nothing to anyone. (Kakao and TalkTalk:
test_channel_setup.py; e-mail: mail/test_email_probe.py.)"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.channels import accounts as channel_accounts
from sotong.channels import registry, sandbox
from sotong.channels.base import ProbeError
from sotong.channels.facebook.connector import FacebookConnector
from sotong.channels.sms.connector import SmsConnector
from sotong.channels.x.connector import XConnector
from sotong.i18n import translate
from sotong.orgs.models import Channel
from sotong.secrets import open_config
from sotong.settings import Settings
from tests.channels.test_channel_setup import _flash, _save
from tests.factories import World
from tests.fakes import graph as fake_graph
from tests.fakes import sms as fake_sms
from tests.fakes import x as fake_x
from tests.web.conftest import login


@pytest.fixture(scope="module")
def x() -> Iterator[fake_x.FakeX]:
    with fake_x.running() as fake:
        yield fake


@pytest.fixture(scope="module")
def graph() -> Iterator[fake_graph.FakeGraph]:
    with fake_graph.running() as fake:
        yield fake


@pytest.fixture(scope="module")
def sens() -> Iterator[fake_sms.FakeSens]:
    with fake_sms.running() as fake:
        yield fake


def _refused(connector: object, config: dict[str, object]) -> str | None:
    """The catalogue key the probe answered with (None: the settings work)."""
    try:
        connector.probe(config)  # type: ignore[attr-defined]
    except ProbeError as exc:
        assert translate("ko", exc.key) != exc.key  # said in Korean
        return exc.key
    return None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({}, None),
        ({"bearer_token": "revoked"}, "channels.probe.x.bad_token"),
        ({"bearer_token": "revoked", "refresh_token": "r"}, "channels.probe.x.expired"),
        ({"user_id": "42"}, "channels.probe.x.other_user"),
        ({"user_id": ""}, "channels.probe.x.no_user"),
        ({"base_url": "http://127.0.0.1:9"}, "channels.probe.unreachable"),
    ],
)
def test_the_x_probe_says_what_is_wrong(x: fake_x.FakeX, change: dict[str, str], reason: str | None) -> None:
    posted = len(x.replies())
    config = {"base_url": x.base_url, "user_id": x.me["id"], "bearer_token": x.token, **change}
    assert _refused(XConnector(), config) == reason
    assert len(x.replies()) == posted  # nothing posted


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({}, None),
        ({"page_access_token": "EAAB-wrong"}, "channels.probe.facebook.bad_token"),
        ({"app_secret": "not-the-app-secret"}, "channels.probe.facebook.bad_app_secret"),
        ({"page_id": "104857600654321"}, "channels.probe.facebook.other_page"),
        ({"app_secret": ""}, "channels.probe.facebook.incomplete"),
        ({"graph_url": "http://127.0.0.1:9/v21.0"}, "channels.probe.unreachable"),
    ],
)
def test_the_facebook_probe_says_what_is_wrong(
    graph: fake_graph.FakeGraph, change: dict[str, str], reason: str | None
) -> None:
    config = {
        "graph_url": graph.graph_url,
        "page_id": graph.page_id,
        "page_access_token": graph.page_token,
        "app_secret": graph.app_secret,
        **change,
    }
    assert _refused(FacebookConnector(), config) == reason
    assert graph.sent_messages == [] and all(r.method == "GET" for r in graph.requests)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({}, None),
        ({"secret_key": "not-the-secret"}, "channels.probe.sms.bad_key"),
        ({"access_key": "NCPOTHERKEY"}, "channels.probe.sms.bad_key"),
        ({"service_id": "ncp:sms:kr:000000000000:other"}, "channels.probe.sms.bad_service"),
        ({"from_number": ""}, "channels.probe.sms.no_sender"),
        ({"gateway": "test"}, "channels.probe.sms.test_gateway"),
        ({"gateway": "carrier-pigeon"}, "channels.probe.sms.bad_gateway"),
        ({"api_url": "http://127.0.0.1:9"}, "channels.probe.unreachable"),
    ],
)
def test_the_sms_probe_signs_a_read_and_sends_nothing(
    sens: fake_sms.FakeSens, change: dict[str, str], reason: str | None
) -> None:
    config = {
        "api_url": sens.base_url,
        "service_id": sens.service_id,
        "access_key": sens.access_key,
        "secret_key": sens.secret_key,
        "from_number": "02-410-1234",
        **change,
    }
    assert _refused(SmsConnector(), config) == reason
    assert sens.sent == []


@pytest.mark.parametrize(
    ("channel", "labels"),
    [
        (Channel.x, ("사용자 ID", "액세스 토큰", "갱신 토큰", "개발자 포털")),
        (Channel.sms, ("서비스 ID", "Access Key", "Secret Key", "발신번호", "gov-ntruss")),
        (
            Channel.email,
            (
                "메일 주소",
                "받는 메일 서버(IMAP)",
                "보내는 메일 서버(SMTP)",
                "IMAP 비밀번호",
                "로그인 방식",
                "OAuth 갱신 토큰",
            ),
        ),
    ],
)
def test_each_channel_names_and_explains_its_settings(
    client: TestClient, session: Session, world: World, channel: Channel, labels: tuple[str, ...]
) -> None:
    account = channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=channel, handle=f"new-{channel.value}"
    )
    login(client, world.admin)
    page = client.get(f"/staff/admin/channels/{account.id}").text
    for label in (*labels, "연결 확인"):
        assert label in page
    connector = registry.get_connector(channel.value)
    assert connector is not None
    for field in connector.setup_fields:
        assert f"channels.setup.{channel.value}.{field.name}" not in page  # no raw catalogue key
        if field.secret:
            assert f'name="secret__{field.name}" type="password"' in page or field.generated


def test_a_clerk_sets_up_a_facebook_page_and_tests_it(
    client: TestClient, session: Session, world: World, settings: Settings, graph: fake_graph.FakeGraph
) -> None:
    account = channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.facebook, handle="songpagu"
    )
    csrf = login(client, world.admin)
    page = client.get(f"/staff/admin/channels/{account.id}").text
    for label in ("페이지 ID", "페이지 액세스 토큰", "앱 시크릿 코드", "확인 토큰", "콜백 URL"):
        assert label in page
    assert f"{settings.base_url}/hooks/facebook/{account.id}" in page

    saved = _save(
        client,
        account,
        csrf,
        setting__page_id=graph.page_id,
        setting__graph_url=graph.graph_url,
        secret__page_access_token=graph.page_token,
        secret__app_secret="not-the-app-secret",
    )
    assert graph.page_token not in saved and "not-the-app-secret" not in saved
    session.expire_all()
    stored = open_config(session.get(type(account), account.id).config)  # type: ignore[union-attr]
    verify_token = stored["verify_token"]  # made on save, shown to paste into Meta's console
    assert len(verify_token) >= 24 and verify_token in client.get(f"/staff/admin/channels/{account.id}").text

    probe = client.post(f"/staff/admin/channels/{account.id}/probe", data={"csrf_token": csrf}, follow_redirects=True)
    assert "앱 시크릿 코드가 이 토큰의 앱과 맞지 않습니다" in _flash(probe.text)
    _save(client, account, csrf, setting__page_id=graph.page_id, setting__graph_url=graph.graph_url,
          secret__app_secret=graph.app_secret)  # fmt: skip
    probe = client.post(f"/staff/admin/channels/{account.id}/probe", data={"csrf_token": csrf}, follow_redirects=True)
    assert "연결을 확인했습니다" in _flash(probe.text)
    # The handshake Meta makes with the token the page showed is answered.
    challenge = client.get(
        f"/hooks/facebook/{account.id}",
        params={"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": "1158201444"},
    )
    assert challenge.status_code == 200 and challenge.text == "1158201444"


def test_a_practice_accounts_page_says_so_and_links_to_its_sandbox(
    client: TestClient, session: Session, world: World, settings: Settings
) -> None:
    account = channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.naver,
        handle="송파구 톡톡 연습",
        config=sandbox.practice_config(Channel.naver, settings.base_url, name="practice"),
    )
    login(client, world.admin)
    page = client.get(f"/staff/admin/channels/{account.id}").text
    assert "연습용(샌드박스)" in page and 'href="/sandbox/naver/"' in page and "연습장 열기" in page
    real = client.get(f"/staff/admin/channels/{world.x_account.id}").text
    assert "연습장 열기" not in real


def test_saving_a_practice_account_unchanged_keeps_its_flags_and_lists(
    client: TestClient, session: Session, world: World, settings: Settings
) -> None:
    """The free-text settings show a flag or a list as JSON and read it back as such: a TalkTalk practice account
    saved as shown still takes the sandbox's webhooks (its networks stay a list) and stays a practice account."""
    config = sandbox.practice_config(Channel.naver, settings.base_url, name="practice")
    assert config is not None
    account = channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.naver, handle="톡톡 연습", config=config
    )
    csrf = login(client, world.admin)
    page = client.get(f"/staff/admin/channels/{account.id}").text
    shown = html.unescape(re.search(r'<textarea[^>]*name="settings"[^>]*>(.*?)</textarea>', page, re.S).group(1))  # type: ignore[union-attr]
    assert "sandbox = true" in shown and 'allowed_ips = ["127.0.0.1/32", "::1/128"]' in shown
    _save(client, account, csrf, settings=shown.strip(), setting__api_url=str(config["api_url"]))
    session.expire_all()
    stored = open_config(session.get(type(account), account.id).config)  # type: ignore[union-attr]
    assert stored["sandbox"] is True and stored["allowed_ips"] == ["127.0.0.1/32", "::1/128"]
    assert stored["authorization"] == config["authorization"] and stored["webhook_token"] == config["webhook_token"]
