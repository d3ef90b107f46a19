"""Scheduled polling: due accounts are polled once per interval, by one worker, rate limits honoured."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sotong.cases.models import Case
from sotong.channels.polling import claim, poll_due
from sotong.cli import app
from sotong.orgs.models import ChannelAccount
from sotong.worker import run_pass
from tests.factories import World
from tests.fakes.mastodon import FakeMastodon

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _no_x_accounts(session: Session, world: World) -> None:
    """The world's X accounts (no credentials) are disabled: these tests count Mastodon polls."""
    world.x_account.enabled = world.seoul_x_account.enabled = False
    session.commit()


def _mentions_asked(mastodon: FakeMastodon) -> int:
    return sum(1 for r in mastodon.requests if r.path == "/api/v1/notifications")


def test_due_accounts_are_polled_once_per_interval(
    session: Session,
    world: World,
    mastodon: FakeMastodon,
    mastodon_account: ChannelAccount,
    factory: Callable[[], Session],
) -> None:
    mastodon.mention("공원 화장실 문이 고장났어요")

    # world.mastodon_account has no credentials: its failure is recorded, the working account still polled.
    assert poll_due(factory, now=T0) == 2
    assert poll_due(factory, now=T0 + dt.timedelta(seconds=30)) == 0
    asked = _mentions_asked(mastodon)
    assert poll_due(factory, now=T0 + dt.timedelta(seconds=61)) == 2

    assert _mentions_asked(mastodon) == asked + 1
    assert len(session.scalars(select(Case).where(Case.channel_account_id == mastodon_account.id)).all()) == 1
    session.expire_all()
    assert mastodon_account.config["last_poll_at"] == (T0 + dt.timedelta(seconds=61)).isoformat()
    assert mastodon_account.config["last_error"] is None and mastodon_account.config["since_id"]
    assert "access_token" in world.mastodon_account.config["last_error"]


def test_a_disabled_or_rate_limited_account_is_not_polled(
    session: Session,
    world: World,
    mastodon: FakeMastodon,
    mastodon_account: ChannelAccount,
    factory: Callable[[], Session],
) -> None:
    world.mastodon_account.enabled = False
    mastodon_account.config = {**mastodon_account.config, "poll_after": (T0 + dt.timedelta(minutes=5)).isoformat()}
    session.commit()

    assert poll_due(factory, now=T0) == 0
    assert poll_due(factory, now=T0 + dt.timedelta(minutes=5, seconds=1)) == 1
    assert _mentions_asked(mastodon) == 1


def test_two_workers_claiming_the_same_account_one_wins(
    session: Session, mastodon_account: ChannelAccount, factory: Callable[[], Session]
) -> None:
    seen = (mastodon_account.config or {}).get("last_poll_at")
    session.rollback()
    with factory() as first, factory() as second:
        won = claim(first, account_id=mastodon_account.id, seen=seen, now=T0)
        lost = claim(second, account_id=mastodon_account.id, seen=seen, now=T0 + dt.timedelta(seconds=1))
    assert (won, lost) == (True, False)
    session.expire_all()
    # The claim only stamps last_poll_at: the credentials beside it are untouched.
    assert mastodon_account.config["last_poll_at"] == T0.isoformat()
    assert mastodon_account.config["access_token"]
    with factory() as third:
        assert claim(third, account_id=mastodon_account.id, seen=T0.isoformat(), now=T0 + dt.timedelta(minutes=1))


def test_the_worker_pass_polls_and_survives_a_broken_poller(
    mastodon: FakeMastodon,
    mastodon_account: ChannelAccount,
    factory: Callable[[], Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mastodon.mention("횡단보도 신호등이 너무 짧아요")
    assert run_pass(factory, worker_id="w1").polled == 2

    def broken(_factory: object, **_: object) -> int:
        raise RuntimeError("database went away")

    monkeypatch.setattr("sotong.channels.polling.poll_due", broken)
    assert run_pass(factory, worker_id="w1").polled == 0


def test_the_cli_polls_one_account_now(
    db_url: str,
    session: Session,
    mastodon: FakeMastodon,
    mastodon_account: ChannelAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOTONG_DATABASE_URL", db_url)
    mastodon.mention("불법 주차 신고합니다")
    runner = CliRunner()

    result = runner.invoke(app, ["channels", "poll", "--account", str(mastodon_account.id)])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output
    again = runner.invoke(app, ["channels", "poll"])
    assert again.exit_code == 0, again.output
    assert "channel accounts polled" in again.output
    missing = runner.invoke(app, ["channels", "poll", "--account", "999999"])
    assert missing.exit_code == 1 and "no polled channel account" in missing.output
