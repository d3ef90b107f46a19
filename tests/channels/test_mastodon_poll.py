"""Polling mentions: every page since the cursor, oldest first, once; our own posts never taken in."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.cases.models import Case, Message
from sotong.channels.mastodon.connector import MastodonConnector
from sotong.channels.mastodon.parse import html_to_text
from sotong.channels.mastodon.poll import PAGE_SIZE, poll
from sotong.db import atomic
from sotong.orgs.models import ChannelAccount
from tests.fakes.mastodon import FakeMastodon


def _messages(session: Session, account: ChannelAccount) -> int:
    return session.scalar(select(func.count(Message.id)).where(Message.channel_account_id == account.id)) or 0


def test_a_backlog_longer_than_a_page_is_taken_in_whole_and_in_order(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount
) -> None:
    posts = [mastodon.mention(f"민원 {n}번: 불법 주차 신고") for n in range(PAGE_SIZE + 5)]

    result = poll(session, account_id=mastodon_account.id)

    assert result.taken.stored == PAGE_SIZE + 5
    assert result.since_id == mastodon.notifications[-1]["id"]
    numbers = session.scalars(select(Case.number).order_by(Case.id)).all()
    bodies = session.scalars(select(Case.body).order_by(Case.id)).all()
    assert len(numbers) == len(posts) and bodies[0].endswith("민원 0번: 불법 주차 신고")
    # A full page, then the next by the Link header; a short page is the end.
    assert len([r for r in mastodon.requests if r.path == "/api/v1/notifications"]) == 2


def test_the_next_poll_starts_at_the_cursor(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount
) -> None:
    mastodon.mention("첫 번째 민원")
    first = poll(session, account_id=mastodon_account.id)
    mastodon.mention("두 번째 민원")

    second = poll(session, account_id=mastodon_account.id)

    assert (first.taken.stored, second.taken.stored, second.taken.duplicates) == (1, 1, 0)
    assert mastodon.requests[-1].query.get("min_id") == [first.since_id]  # read forward from the cursor
    session.refresh(mastodon_account)
    assert mastodon_account.config["since_id"] == second.since_id


def test_an_overlapping_poll_stores_nothing_twice(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount
) -> None:
    mastodon.mention("같은 민원")
    poll(session, account_id=mastodon_account.id)
    session.refresh(mastodon_account)
    # A crash before the cursor was saved: the same mentions come again.
    with atomic(session):
        mastodon_account.config = {k: v for k, v in mastodon_account.config.items() if k != "since_id"}

    again = poll(session, account_id=mastodon_account.id)

    assert (again.taken.stored, again.taken.duplicates) == (0, 1)
    assert _messages(session, mastodon_account) == 1


def test_our_own_posts_and_other_notifications_are_not_taken_in(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount
) -> None:
    citizen_post = mastodon.mention("공원 벤치가 부서졌어요")
    poll(session, account_id=mastodon_account.id)
    ours = mastodon._status(mastodon.me, "@songpa 접수되었습니다", "public", citizen_post["id"])
    mastodon.notify("mention", ours)  # some servers notify an account of its own self-mention
    mastodon.notify("favourite", citizen_post)

    result = poll(session, account_id=mastodon_account.id)

    assert result.taken.stored == 0
    assert _messages(session, mastodon_account) == 1


def test_status_html_becomes_plain_text() -> None:
    content = (
        '<p><span class="h-card"><a href="https://gov.social/@songpa">@<span>songpa</span></a></span> '
        "도로가<br />패였어요 &amp; 위험</p><p>둘째 문단</p>"
    )
    assert html_to_text(content) == "@songpa 도로가\n패였어요 & 위험\n\n둘째 문단"


def test_a_mention_without_text_is_no_message() -> None:
    empty = {"id": "1", "type": "mention", "status": {"id": "2", "content": "<p></p>", "account": {"id": "3"}}}
    assert MastodonConnector().parse({}, [empty]) == []
