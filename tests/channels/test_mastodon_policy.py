"""Mastodon 4.3+ filters what strangers send a city account; a backlog larger than one poll is drained, not skipped."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Message
from sotong.channels.mastodon.poll import MAX_PAGES, PAGE_SIZE, poll
from sotong.orgs.models import ChannelAccount
from tests.fakes.mastodon import FakeMastodon


def _stored(session: Session, account: ChannelAccount) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(Message.external_id).where(Message.channel_account_id == account.id)))


def test_the_first_poll_accepts_private_mentions_and_takes_in_what_was_filtered(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount
) -> None:
    assert mastodon.policy["for_private_mentions"] == "filter"  # Mastodon 4.3's default
    early = mastodon.mention("집 앞 가로등이 꺼졌어요. 주소는 비공개로 보냅니다.", visibility="direct")

    poll(session, account_id=mastodon_account.id)

    assert mastodon.policy["for_private_mentions"] == "accept"
    assert early["id"] in _stored(session, mastodon_account)  # read from its notification request
    later = mastodon.mention("하수구에서 냄새가 납니다", visibility="direct")
    poll(session, account_id=mastodon_account.id)
    assert later["id"] in _stored(session, mastodon_account)
    patches = [r for r in mastodon.requests if r.method == "PATCH"]
    assert len(patches) == 1  # set once, remembered


def test_a_backlog_larger_than_one_poll_is_drained_by_the_next_polls(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount
) -> None:
    mastodon.mention("첫 민원")
    poll(session, account_id=mastodon_account.id)
    backlog = [mastodon.mention(f"밀린 민원 {n}번")["id"] for n in range(MAX_PAGES * PAGE_SIZE + 30)]

    first = poll(session, account_id=mastodon_account.id)
    second = poll(session, account_id=mastodon_account.id)

    assert (first.taken.stored, second.taken.stored) == (MAX_PAGES * PAGE_SIZE, 30)
    assert set(backlog) <= _stored(session, mastodon_account)
