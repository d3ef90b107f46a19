"""X's OAuth 2.0 user tokens expire after two hours: the account renews them with its rotating refresh token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases.models import Case
from sotong.channels import accounts as channel_accounts
from sotong.channels.health import health_of, is_failing
from sotong.channels.x.poll import poll
from sotong.orgs.models import Channel, ChannelAccount
from sotong.outbox.models import OutboxStatus
from sotong.secrets import is_sealed, open_config
from tests.channels.conftest import outbox
from tests.factories import World
from tests.fakes.x import FakeX


@pytest.fixture
def oauth_account(session: Session, world: World, x: FakeX) -> ChannelAccount:
    """@songpaOK signed in with OAuth 2.0 (offline.access): an access token, its refresh token and the client."""
    return channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.x,
        handle="@songpaOK_oauth",
        department_id=world.roads.id,
        config={
            "base_url": x.base_url,
            "bearer_token": x.token,
            "refresh_token": x.refresh_token,
            "client_id": x.client_id,
            "client_secret": x.client_secret,
            "user_id": x.me["id"],
        },
    )


def _config(session: Session, account: ChannelAccount) -> dict[str, object]:
    session.expire_all()
    return dict(account.config)


def test_an_expired_token_is_renewed_and_the_rotated_refresh_token_kept(
    session: Session, x: FakeX, oauth_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    x.mention("인도에 자전거가 방치되어 있어요")
    x.expire_token()  # two hours after set-up

    assert poll(session, account_id=oauth_account.id).taken.stored == 1
    stored = _config(session, oauth_account)
    assert is_sealed(stored["refresh_token"]) and is_sealed(stored["bearer_token"])
    opened = open_config(stored)
    assert (opened["bearer_token"], opened["refresh_token"]) == (x.token, x.refresh_token)
    expires = dt.datetime.fromisoformat(str(opened["token_expires_at"]))
    assert dt.timedelta(minutes=110) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=2)

    # Two hours later again: the renewal uses the refresh token X handed out last time (the first is dead).
    x.expire_token()
    deliver()
    case = session.scalars(select(Case).where(Case.channel_account_id == oauth_account.id)).one()
    assert [i.status for i in outbox(session, case.id)] == [OutboxStatus.sent]
    assert open_config(_config(session, oauth_account))["refresh_token"] == x.refresh_token
    refreshes = [r for r in x.requests if r.path == "/2/oauth2/token"]
    assert len(refreshes) == 2


def test_a_token_past_its_expiry_is_renewed_before_the_call(
    session: Session, x: FakeX, oauth_account: ChannelAccount
) -> None:
    oauth_account.config = {**oauth_account.config, "token_expires_at": "2026-01-01T00:00:00+00:00"}
    session.commit()
    x.mention("공원 화장실이 잠겨 있어요")

    poll(session, account_id=oauth_account.id)

    assert x.requests[0].path == "/2/oauth2/token"
    assert {r.headers.get("authorization") for r in x.requests[1:]} == {f"Bearer {x.token}"}


def test_a_refused_refresh_fails_for_good_and_the_account_shows_it_needs_signing_in(
    session: Session, x: FakeX, oauth_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    x.mention("버스 정류장 전광판이 꺼졌어요")
    poll(session, account_id=oauth_account.id)
    x.expire_token()
    x.revoke_refresh_token()

    deliver()

    case = session.scalars(select(Case).where(Case.channel_account_id == oauth_account.id)).one()
    [receipt] = outbox(session, case.id)
    assert receipt.status is OutboxStatus.failed and "sign-in needed" in (receipt.last_error or "")
    health = health_of(session, [oauth_account.id])[oauth_account.id]
    assert is_failing(health) and "authorise the account again" in (health.last_error or "")
