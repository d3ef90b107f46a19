"""Mastodon refusing: rate limits wait for the reset, a deleted post fails for good, retries never post twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases.models import Case
from sotong.channels.mastodon.connector import MastodonConnector
from sotong.channels.mastodon.poll import poll
from sotong.orgs.models import ChannelAccount
from sotong.outbox.models import OutboxStatus
from sotong.outbox.transports import Delivery, TransportError
from tests.channels.conftest import outbox
from tests.fakes.mastodon import FakeMastodon


def _received(session: Session, mastodon: FakeMastodon, account: ChannelAccount) -> tuple[Case, dict[str, object]]:
    post = mastodon.mention("하수구 악취가 심합니다")
    poll(session, account_id=account.id)
    return session.scalars(select(Case).where(Case.channel_account_id == account.id)).one(), post


def _delivery(session: Session, case: Case) -> Delivery:
    item = outbox(session, case.id)[0]
    return Delivery.of(item, attempt=1)  # as a worker's first claim would hand it over


def test_a_rate_limit_waits_until_the_reset_and_is_not_permanent(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    case, _ = _received(session, mastodon, mastodon_account)
    mastodon.throttled_for = 120

    with pytest.raises(TransportError) as raised:
        MastodonConnector().send(_delivery(session, case), session=session)
    assert not raised.value.permanent
    assert raised.value.retry_after is not None and 100 <= raised.value.retry_after <= 125

    before = dt.datetime.now(dt.UTC)
    deliver()
    item = outbox(session, case.id)[0]
    assert item.status is OutboxStatus.pending and "rate limited" in (item.last_error or "")
    wait = (item.next_attempt_at.replace(tzinfo=item.next_attempt_at.tzinfo or dt.UTC) - before).total_seconds()
    assert 100 <= wait <= 125
    assert mastodon.posted() == []


def test_a_deleted_post_fails_for_good_and_shows_on_the_case(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    case, post = _received(session, mastodon, mastodon_account)
    mastodon.delete(str(post["id"]))

    deliver()

    item = outbox(session, case.id)[0]
    assert item.status is OutboxStatus.failed and "gone" in (item.last_error or "")
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "outbox.failed")
    ).one()
    assert event.details["permanent"] is True


def test_a_retry_after_a_lost_response_posts_once(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount
) -> None:
    case, _ = _received(session, mastodon, mastodon_account)
    delivery = _delivery(session, case)

    first = MastodonConnector().send(delivery, session=session)
    again = MastodonConnector().send(delivery, session=session)  # the worker never heard the first answer

    assert first == again
    assert len(mastodon.posted()) == 1


def test_a_revoked_token_is_permanent(
    session: Session, mastodon: FakeMastodon, mastodon_account: ChannelAccount
) -> None:
    case, _ = _received(session, mastodon, mastodon_account)
    mastodon.token = "rotated"

    with pytest.raises(TransportError) as raised:
        MastodonConnector().send(_delivery(session, case), session=session)

    assert raised.value.permanent and "401" in raised.value.message
