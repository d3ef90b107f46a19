"""An admin checks the channel accounts' health and sets a token, which is never shown back."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, ViewportSize, expect
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.channels import accounts as channel_accounts
from sotong.channels.health import record_attempt
from sotong.db import utcnow
from sotong.orgs.models import Channel, ChannelAccount
from sotong.secrets import open_config
from tests.browser.conftest import LiveServer
from tests.factories import World
from tests.fakes import kakao as fake_kakao

TOKEN = "mastodon-token-typed-in-the-browser"
PHONE: ViewportSize = {"width": 390, "height": 844}


def test_admin_sees_health_and_sets_a_secret_write_only(
    page: Page,
    live_server: LiveServer,
    world: World,
    session: Session,
    staff_login: Callable[..., None],
    screenshot: Callable[[str], Path],
) -> None:
    mayor = channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.mastodon,
        handle="@mayor@gov.social",
        display_name="구청장",
        department_id=world.roads.id,
        reply_via_account_id=world.mastodon_account.id,
        config={"base_url": "https://gov.social", "access_token": "old-token"},
    )
    now = utcnow()
    record_attempt(session, account_id=world.mastodon_account.id, source="poll", stored=4, now=now)
    record_attempt(
        session,
        account_id=mayor.id,
        source="poll",
        error="mastodon: HTTP 429 Too many requests",
        rate_limited_until=now + dt.timedelta(minutes=15),
        now=now,
    )

    staff_login(world.admin)
    page.get_by_role("link", name="관리", exact=True).first.click()
    page.get_by_role("link", name="채널 계정", exact=True).first.click()
    expect(page.locator("main h1")).to_have_text("채널 계정")
    row = page.locator(f"#account-{mayor.id}")
    expect(row).to_contain_text("오류")
    expect(row).to_contain_text("429 Too many requests")
    expect(row).to_contain_text("호출 제한")
    expect(row).to_contain_text("access_token")
    expect(page.locator(f"#account-{world.mastodon_account.id}")).to_contain_text("정상")
    assert "old-token" not in page.content()
    screenshot("channels")

    row.get_by_role("link", name="수정").click()
    expect(page.locator("main h1")).to_contain_text("@mayor@gov.social")
    page.fill("#f-secret__access_token", TOKEN)
    screenshot("edit")
    page.get_by_role("button", name="저장").click()
    expect(page.locator(".flash")).to_contain_text("@mayor@gov.social")
    assert TOKEN not in page.content()
    page.goto(f"{live_server.url}/staff/admin/channels/{mayor.id}")
    assert TOKEN not in page.content() and "enc:v1:" not in page.content()
    session.expire_all()
    stored = session.get(ChannelAccount, mayor.id)
    assert stored is not None and open_config(stored.config)["access_token"] == TOKEN


def test_a_clerk_sets_up_kakao_and_tests_the_connection(
    page: Page,
    live_server: LiveServer,
    world: World,
    session: Session,
    staff_login: Callable[..., None],
    screenshot: Callable[[str], Path],
) -> None:
    with fake_kakao.running() as kakao:
        account = channel_accounts.create_channel_account(
            session, actor=CLI, org_id=world.songpa.id, channel=Channel.kakao, handle="@songpa"
        )
        staff_login(world.admin)
        for viewport, size in (("desktop", None), ("phone", PHONE)):
            if size:
                page.set_viewport_size(size)
            page.goto(f"{live_server.url}/staff/admin/channels/{account.id}")
            expect(page.locator(".ch-webhook-url")).to_have_text(re.compile(rf"/hooks/kakao/{account.id}$"))
            page.get_by_label("봇 ID").fill(kakao.bot_id)
            page.get_by_label("봇 API 주소").fill(kakao.base_url)
            key = "wrong-key" if viewport == "desktop" else kakao.rest_api_key
            page.get_by_label("REST API 키").fill(key)
            page.get_by_role("button", name="저장").click()
            expect(page.locator(".flash")).to_contain_text("@songpa")
            page.goto(f"{live_server.url}/staff/admin/channels/{account.id}")
            expect(page.locator(".ch-verify-token")).to_have_text(re.compile(r"^[\w-]{24,}$"))
            assert key not in page.content()  # write-only
            page.get_by_role("button", name="연결 확인").click()
            expected = "REST API 키가 맞지 않습니다" if viewport == "desktop" else "연결을 확인했습니다"
            expect(page.locator(".flash")).to_contain_text(expected)
            screenshot(f"kakao-probe-{viewport}")
        assert kakao.events == []  # the test sent nothing to anyone
