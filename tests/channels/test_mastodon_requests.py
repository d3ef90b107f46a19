"""Strangers' DMs to a city account on Mastodon 4.3+: every filtered mention of each notification request is taken
in and the request accepted; what the API cannot give is recorded as a gap and shown, in Korean, on the account's
page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Message
from sotong.channels.health import ChannelGap
from sotong.channels.mastodon import poll as mastodon_poll
from sotong.channels.mastodon.poll import PAGE_SIZE, poll
from sotong.orgs.models import ChannelAccount
from tests.factories import World
from tests.fakes.mastodon import FakeMastodon
from tests.web.conftest import login


def _stored(session: Session, account: ChannelAccount) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(Message.external_id).where(Message.channel_account_id == account.id)))


def _gaps(session: Session) -> list[ChannelGap]:
    session.expire_all()
    return list(session.scalars(select(ChannelGap).order_by(ChannelGap.id)))


def _accepts(mastodon: FakeMastodon) -> list[str]:
    return [r.path for r in mastodon.requests if r.method == "POST" and r.path.endswith("/accept")]


def test_every_filtered_dm_of_each_request_is_taken_in_and_the_request_accepted(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount
) -> None:
    minji, junho = mastodon.citizen("minji"), mastodon.citizen("junho", "박준호")
    filtered = [
        mastodon.mention("집 앞 가로등이 꺼졌어요", author=minji, visibility="direct")["id"],
        mastodon.mention("송파대로 123 앞입니다", author=minji, visibility="direct")["id"],
        mastodon.mention("사흘째예요", author=minji, visibility="direct")["id"],
        mastodon.mention("공원 화장실이 잠겨 있어요", author=junho, visibility="direct")["id"],
    ]

    poll(session, account_id=mastodon_account.id)

    assert set(filtered) <= _stored(session, mastodon_account)  # not only each request's last post
    assert len(_accepts(mastodon)) == 2 and mastodon.filtered == []
    assert mastodon.policy["for_private_mentions"] == "accept" and _gaps(session) == []

    poll(session, account_id=mastodon_account.id)  # nothing pending any more: nothing read or accepted twice
    assert len(_accepts(mastodon)) == 2


def test_the_policy_is_checked_on_every_poll_and_set_again_when_changed(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount
) -> None:
    poll(session, account_id=mastodon_account.id)
    mastodon.policy["for_private_mentions"] = "filter"  # someone changed it in the instance's settings

    poll(session, account_id=mastodon_account.id)

    assert mastodon.policy["for_private_mentions"] == "accept"


def test_a_sender_with_more_filtered_mentions_than_one_poll_reads_leaves_a_gap(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mastodon_poll, "REQUEST_PAGES", 1)
    flood = mastodon.citizen("flood", "홍길동")
    sent = [mastodon.mention(f"민원 {n}", author=flood, visibility="direct")["id"] for n in range(PAGE_SIZE + 5)]

    poll(session, account_id=mastodon_account.id)

    newest = sorted(sent, key=int)[-PAGE_SIZE:]
    assert set(newest) <= _stored(session, mastodon_account)
    [gap] = _gaps(session)
    assert gap.reason == "requests" and gap.detail == "@flood@mastodon.social"
    assert gap.before_id is not None and gap.before_at is not None


def test_a_first_poll_that_cannot_page_back_far_enough_leaves_a_gap(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mastodon_poll, "MAX_PAGES", 1)
    for n in range(PAGE_SIZE + 3):
        mastodon.mention(f"오래된 민원 {n}")

    result = poll(session, account_id=mastodon_account.id)

    assert result.taken.stored == PAGE_SIZE
    [gap] = _gaps(session)
    oldest_read = sorted((n["id"] for n in mastodon.notifications), key=int)[-PAGE_SIZE]
    assert gap.reason == "backlog" and gap.before_id == oldest_read  # the three older mentions are the gap


def test_the_gap_is_shown_in_korean_on_the_accounts_page(
    session: Session,
    world: World,
    client: TestClient,
    mastodon: FakeMastodon,
    mastodon_account: ChannelAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mastodon_poll, "REQUEST_PAGES", 1)
    flood = mastodon.citizen("flood", "홍길동")
    for n in range(PAGE_SIZE + 1):
        mastodon.mention(f"민원 {n}", author=flood, visibility="direct")
    poll(session, account_id=mastodon_account.id)

    login(client, world.admin)
    page = client.get(f"/staff/admin/channels/{mastodon_account.id}")

    assert page.status_code == 200
    assert "읽지 못한 구간" in page.text and "@flood@mastodon.social의 걸러진 메시지" in page.text
