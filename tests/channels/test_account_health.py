"""Account health: polls and webhooks record it; the admin page shows it, lets admins set accounts up."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.audit.models import AuditEvent
from sotong.channels import accounts as channel_accounts
from sotong.channels import polling
from sotong.channels.base import ChannelError
from sotong.channels.health import AccountHealth, is_failing
from sotong.channels.intake import TakeInResult
from sotong.orgs.models import Channel, ChannelAccount
from sotong.secrets import open_config
from tests.factories import World
from tests.web.conftest import csrf_from, login

SECRET = "mastodon-token-never-shown-42"


@pytest.fixture
def account(session: Session, world: World) -> ChannelAccount:
    return channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.mastodon,
        handle="@health@gov.social",
        config={"base_url": "http://127.0.0.1:9", "access_token": SECRET},
    )


def _health(session: Session, account_id: int) -> AccountHealth:
    session.expire_all()
    row = session.get(AccountHealth, account_id)
    assert row is not None
    return row


def test_a_failed_poll_is_recorded_with_its_rate_limit_then_a_good_one_clears_it(
    session: Session, world: World, account: ChannelAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)

    def refused(session: Session, *, account_id: int) -> Any:
        raise ChannelError("mastodon: HTTP 429 Too many requests", retry_after=900)

    monkeypatch.setattr(polling, "_pollers", lambda: {Channel.mastodon: refused})
    outcome = polling.poll_account(session, account_id=account.id, now=now)
    assert outcome.error == "mastodon: HTTP 429 Too many requests"
    health = _health(session, account.id)
    assert health.last_error == "mastodon: HTTP 429 Too many requests"
    assert health.last_error_at is not None and health.last_poll_at is not None
    assert health.rate_limited_until == now + dt.timedelta(seconds=900)
    assert health.last_ok_at is None and is_failing(health)

    class Polled:
        taken = TakeInResult(stored=3)

    monkeypatch.setattr(polling, "_pollers", lambda: {Channel.mastodon: lambda session, account_id: Polled()})
    later = now + dt.timedelta(hours=1)
    assert polling.poll_account(session, account_id=account.id, now=later).taken is not None
    health = _health(session, account.id)
    assert health.last_ok_at is not None and health.last_intake_at is not None
    assert health.rate_limited_until is None
    assert not is_failing(health)
    assert health.last_error == "mastodon: HTTP 429 Too many requests"  # still there, for the record


def test_a_crashing_poller_is_recorded_too(
    session: Session, world: World, account: ChannelAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(session: Session, *, account_id: int) -> Any:
        raise KeyError("statuses")

    monkeypatch.setattr(polling, "_pollers", lambda: {Channel.mastodon: crash})
    polling.poll_account(session, account_id=account.id)
    assert "KeyError" in (_health(session, account.id).last_error or "")


def test_a_refused_webhook_is_in_the_account_health(client: TestClient, session: Session, world: World) -> None:
    page = channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.facebook,
        handle="songpa-page",
        config={"app_secret": "s3cret", "verify_token": "v", "page_id": "1"},
    )
    response = client.post(f"/hooks/facebook/{page.id}", content=b'{"object":"page","entry":[]}')
    assert response.status_code == 401
    health = _health(session, page.id)
    assert health.last_error is not None and "webhook refused (401)" in health.last_error
    assert health.last_source == "webhook"


def test_admin_page_lists_accounts_with_health_and_never_a_secret(
    client: TestClient, session: Session, world: World, account: ChannelAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(session: Session, *, account_id: int) -> Any:
        raise ChannelError("mastodon: 401 The access token is invalid")

    monkeypatch.setattr(polling, "_pollers", lambda: {Channel.mastodon: refused})
    polling.poll_account(session, account_id=account.id)
    login(client, world.admin)
    listing = client.get("/staff/admin/channels")
    assert listing.status_code == 200
    assert "@health@gov.social" in listing.text and "@songpaOK" in listing.text
    assert "@seoulcity" not in listing.text  # another organisation's account
    assert "401 The access token is invalid" in listing.text
    assert "access_token" in listing.text and SECRET not in listing.text and "enc:v1:" not in listing.text
    edit = client.get(f"/staff/admin/channels/{account.id}")
    assert edit.status_code == 200
    assert SECRET not in edit.text and "enc:v1:" not in edit.text
    assert "base_url = http://127.0.0.1:9" in edit.text


def test_an_account_lacking_a_setting_needs_set_up_rather_than_failing(
    client: TestClient, session: Session, world: World, account: ChannelAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unfinished(session: Session, *, account_id: int) -> Any:
        raise ChannelError("email: account config lacks 'imap_host'", permanent=True)

    monkeypatch.setattr(polling, "_pollers", lambda: {Channel.mastodon: unfinished})
    polling.poll_account(session, account_id=account.id)
    login(client, world.admin)
    for page in (client.get("/staff/admin/channels").text, client.get(f"/staff/admin/channels/{account.id}").text):
        assert "설정 필요" in page and "필수 설정이 비어 있습니다: imap_host" in page
        assert "ch-setup" in page and "ch-fail" not in page


def test_admin_creates_and_edits_an_account_secrets_write_only_and_audited(
    client: TestClient, session: Session, engine: Engine, world: World
) -> None:
    csrf = login(client, world.admin)
    created = client.post(
        "/staff/admin/channels",
        data={
            "csrf_token": csrf,
            "channel": "mastodon",
            "handle": "@mayor@gov.social",
            "display_name": "구청장",
            "department_id": str(world.roads.id),
            "reply_via_account_id": str(world.mastodon_account.id),
            "settings": "base_url = https://gov.social",
            "new_secret_name": "access_token",
            "new_secret_value": "first-token-111",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    account = session.scalar(select(ChannelAccount).where(ChannelAccount.handle == "@mayor@gov.social"))
    assert account is not None
    assert account.reply_via_account_id == world.mastodon_account.id and account.department_id == world.roads.id
    assert open_config(account.config) == {"base_url": "https://gov.social", "access_token": "first-token-111"}

    page = client.get(created.headers["location"])
    assert "first-token-111" not in page.text
    form = {
        "csrf_token": csrf_from(page.text),
        "display_name": "구청장 계정",
        "enabled": "",
        "department_id": "",
        "reply_via_account_id": str(world.mastodon_account.id),
        "settings": "base_url = https://gov.social\nlanguage = ko",
        "secret__access_token": "",  # empty: keep the stored token
    }
    saved = client.post(f"/staff/admin/channels/{account.id}", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    session.expire_all()
    account = session.get(ChannelAccount, account.id)
    assert account is not None and account.enabled is False and account.display_name == "구청장 계정"
    assert open_config(account.config)["access_token"] == "first-token-111"
    assert account.config["language"] == "ko"

    form["secret__access_token"] = "second-token-222"
    assert client.post(f"/staff/admin/channels/{account.id}", data=form, follow_redirects=False).status_code == 303
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT config FROM channel_accounts WHERE id = :id"), {"id": account.id}).scalar()
    raw_text = raw if isinstance(raw, str) else json.dumps(raw)
    assert "second-token-222" not in raw_text and "enc:v1:" in raw_text
    session.expire_all()
    assert open_config(session.get(ChannelAccount, account.id).config)["access_token"] == "second-token-222"  # type: ignore[union-attr]

    events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "channel_account.updated")))
    assert len(events) == 2
    assert events[-1].details["secrets_changed"] == ["access_token"]
    dumped = json.dumps([e.before for e in events] + [e.after for e in events] + [e.details for e in events])
    assert "token-111" not in dumped and "token-222" not in dumped and "enc:v1:" not in dumped

    bad = dict(form, settings="access_token = leaked-in-settings")
    refused = client.post(f"/staff/admin/channels/{account.id}", data=bad)
    assert refused.status_code == 422
    assert "비밀 값입니다" in refused.text
    assert "leaked-in-settings" not in refused.text  # not even the admin's own typing comes back


def test_only_admins_open_the_channel_pages(client: TestClient, world: World) -> None:
    login(client, world.operator)
    assert client.get("/staff/admin/channels").status_code == 403
    assert client.get(f"/staff/admin/channels/{world.x_account.id}").status_code == 403


def test_another_organisations_account_is_not_found(client: TestClient, world: World) -> None:
    login(client, world.admin)
    assert client.get(f"/staff/admin/channels/{world.seoul_x_account.id}").status_code == 404


def test_a_webhook_that_brings_a_message_is_recorded_as_intake(
    client: TestClient, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sotong.channels import health as health_module

    monkeypatch.setattr(health_module, "_last_success_write", {})
    sms = channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.sms,
        handle="1588-0000",
        config={"gateway": "test", "from_number": "15880000", "inbound_token": "in-7"},
    )
    body = {"id": "m-1", "from": "010-3333-4444", "text": "가로등이 꺼졌어요"}
    response = client.post(f"/hooks/sms/{sms.id}", json=body, headers={"X-Sms-Token": "in-7"})
    assert response.status_code == 200, response.text
    health = _health(session, sms.id)
    assert health.last_intake_at is not None and health.last_ok_at is not None and health.last_poll_at is None
    assert health.last_source == "webhook" and not is_failing(health)
