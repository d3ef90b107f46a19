"""An admin checks the channel accounts' health and sets a token, which is never shown back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.channels import accounts as channel_accounts
from sotong.channels.health import record_attempt
from sotong.db import utcnow
from sotong.orgs.models import Channel, ChannelAccount
from sotong.secrets import open_config
from tests.browser.conftest import LiveServer
from tests.factories import World

TOKEN = "mastodon-token-typed-in-the-browser"


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
