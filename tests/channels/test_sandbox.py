"""Practice accounts on the bundled sandboxes: served and listed outside production, refused in it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sotong import worker
from sotong.actors import CLI
from sotong.app import create_app
from sotong.cases import actions
from sotong.channels import accounts as channel_accounts
from sotong.channels import sandbox
from sotong.errors import InvalidInput
from sotong.orgs.models import Channel, ChannelAccount
from sotong.settings import Environment, Settings
from tests.factories import World, inbound
from tests.web.conftest import login

BASE = "http://127.0.0.1:8000"


def _practice(session: Session, world: World, *, handle: str = "송파구청", **config: object) -> ChannelAccount:
    return channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.kakao,
        handle=handle,
        display_name="송파구 카카오톡 채널",
        config={
            "sandbox": True,
            "bot_id": "sandbox-songpa",
            "api_url": sandbox.url(BASE, "kakao"),
            "skill_token": "practice-skill-token",
            "rest_api_key": "practice-rest-key",
            **config,
        },
    )


@pytest.fixture
def production(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """This process as production: the accounts' checks read it; the app built from it loads no models."""
    live = settings.model_copy(update={"env": Environment.production, "secret_key": "s" * 40})
    monkeypatch.setattr(channel_accounts, "get_settings", lambda: live)
    monkeypatch.setattr(worker, "warm_models", lambda: None)
    yield live
    gc.unfreeze()  # a production app freezes what is loaded; give the test process its collector back


def test_the_kakao_sandbox_lists_each_enabled_practice_bot(session: Session, world: World) -> None:
    account = _practice(session, world)
    _practice(session, world, handle="꺼진 채널", bot_id="sandbox-off")
    off = session.query(ChannelAccount).filter_by(handle="꺼진 채널").one()
    off.enabled = False
    channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.kakao,
        handle="진짜 채널",
        config={"bot_id": "real", "skill_token": "t", "rest_api_key": "k"},
    )
    session.commit()
    assert sandbox.kakao_bots(session, BASE + "/") == [
        {
            "bot_id": "sandbox-songpa",
            "name": "송파구 카카오톡 채널",
            "skill_url": f"{BASE}/hooks/kakao/{account.id}",
            "skill_token": "practice-skill-token",  # sealed at rest, opened for the sandbox
            "rest_api_key": "practice-rest-key",
            "skill_header": "x-sotong-skill-token",
            "event_name": "sotong_message",
        }
    ]


@pytest.mark.parametrize(
    "config",
    [{"sandbox": True}, {"api_url": "http://10.0.0.5:8000/sandbox/kakao"}, {"base_url": "https://x/sandbox/x"}],
)
def test_a_url_or_flag_makes_a_sandbox_account(config: dict[str, object]) -> None:
    assert sandbox.is_sandbox(config)
    assert not sandbox.is_sandbox({"api_url": "https://bot-api.kakao.com"})
    assert not sandbox.is_sandbox(None)


def test_the_app_serves_the_sandbox_outside_production(
    settings: Settings, engine: Engine, session: Session, world: World
) -> None:
    _practice(session, world)
    session.commit()
    with TestClient(create_app(settings=settings, engine=engine)) as client:
        page = client.get("/sandbox/kakao/")
        assert page.status_code == 200
        assert "연습용(샌드박스)" in page.text
        assert 'href="/sandbox/kakao/sandbox-songpa/"' in page.text
        chat = client.get("/sandbox/kakao/sandbox-songpa/")
        assert 'src="/sandbox/kakao/static/kakao.js"' in chat.text
        # The security headers still apply: the chat's script is the sandbox's own file.
        assert "script-src 'self'" in chat.headers["content-security-policy"]
        assert "연습용(샌드박스)" in client.get("/sandbox/x/").text


def test_the_x_sandbox_lists_each_enabled_practice_account(session: Session, world: World) -> None:
    account = channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.x,
        handle="@songpa_practice",
        display_name="송파구 연습 계정",
        config={"sandbox": True, "base_url": sandbox.url(BASE, "x"), "user_id": "1800", "bearer_token": "tok"},
    )
    session.commit()
    assert account.config["bearer_token"] != "tok"  # sealed at rest
    assert sandbox.x_accounts(session) == [
        {"user_id": "1800", "username": "songpa_practice", "name": "송파구 연습 계정", "bearer_token": "tok"}
    ]


def test_production_serves_no_sandbox(production: Settings, engine: Engine) -> None:
    with TestClient(create_app(settings=production, engine=engine), base_url=production.base_url) as client:
        assert client.get("/sandbox/kakao/").status_code == 404
        assert client.get("/sandbox/x/").status_code == 404


def test_production_refuses_a_new_sandbox_account(production: Settings, session: Session, world: World) -> None:
    with pytest.raises(InvalidInput, match="sandbox accounts cannot be used in production"):
        _practice(session, world)


def test_production_refuses_a_sandbox_url_on_an_account(
    production: Settings, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.kakao, handle="송파구청", config={}
    )
    with pytest.raises(InvalidInput, match="sandbox accounts cannot be used in production"):
        channel_accounts.update_channel_account(
            session,
            actor=CLI,
            account_id=account.id,
            display_name="송파구청",
            enabled=True,
            department_id=None,
            reply_via_account_id=None,
            settings={"api_url": "http://127.0.0.1:8000/sandbox/kakao", "bot_id": "b"},
            new_secrets={},
        )


def test_the_console_labels_practice_accounts_and_their_cases(
    client: TestClient, session: Session, world: World
) -> None:
    account = _practice(session, world)
    real = channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.kakao, handle="실제 채널", config={}
    )
    practice_case = actions.receive_message(session, account_id=account.id, inbound=inbound()).case
    real_case = actions.receive_message(session, account_id=real.id, inbound=inbound()).case
    assert practice_case is not None and real_case is not None
    session.commit()
    login(client, world.admin)
    listing = client.get("/staff/admin/channels").text
    row = listing.split(f'id="account-{account.id}"')[1].split("</tr>")[0]
    assert "연습용(샌드박스)" in row
    assert "연습용(샌드박스)" not in listing.split(f'id="account-{real.id}"')[1].split("</tr>")[0]
    assert "연습용(샌드박스)" in client.get(f"/staff/cases/{practice_case.number}").text
    assert "연습용(샌드박스)" not in client.get(f"/staff/cases/{real_case.number}").text
