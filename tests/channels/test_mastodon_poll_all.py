"""Polling Mastodon accounts through the scheduler: one failing instance does not stop the others; a rate limit
is waited out."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.channels import accounts as channel_accounts
from sotong.channels.polling import poll_account
from sotong.orgs.models import Channel, ChannelAccount
from tests.factories import World
from tests.fakes.mastodon import FakeMastodon


def test_every_enabled_account_is_polled_and_its_health_kept(
    session: Session, world: World, mastodon: FakeMastodon, mastodon_account: ChannelAccount
) -> None:
    broken = channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.mastodon,
        handle="@mayor@127.0.0.1",
        config={"base_url": mastodon.base_url, "access_token": "revoked"},
    )
    mastodon.mention("버스 정류장 의자가 없어요")

    outcomes = {
        account.id: poll_account(session, account_id=account.id)
        for account in (mastodon_account, broken, world.mastodon_account)
    }

    assert outcomes[mastodon_account.id].taken is not None and outcomes[mastodon_account.id].taken.stored == 1
    assert "401" in str(outcomes[broken.id].error)
    # world.mastodon_account has no config at all: recorded as failed, not raised.
    assert "access_token" in str(outcomes[world.mastodon_account.id].error)
    session.expire_all()
    assert mastodon_account.config["last_error"] is None and mastodon_account.config["last_poll_at"]
    assert "401" in broken.config["last_error"]


def test_a_rate_limited_account_is_left_alone_until_the_reset(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount
) -> None:
    mastodon.throttled_for = 600
    now = dt.datetime.now(dt.UTC)
    poll_account(session, account_id=mastodon_account.id, now=now)
    session.expire_all()
    poll_after = dt.datetime.fromisoformat(mastodon_account.config["poll_after"])
    assert dt.timedelta(seconds=550) <= poll_after - now <= dt.timedelta(seconds=620)
    mastodon.throttled_for = None
    asked = len(mastodon.requests)

    early = poll_account(session, account_id=mastodon_account.id, now=now + dt.timedelta(seconds=60))
    late = poll_account(session, account_id=mastodon_account.id, now=poll_after + dt.timedelta(seconds=1))

    assert "rate limited until" in str(early.skipped) and late.taken is not None
    assert len(mastodon.requests) > asked
