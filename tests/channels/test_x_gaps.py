"""X keeps only the newest mentions reachable: a poll that cannot read back to its cursor records the gap, which the
account's page shows."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Message
from sotong.channels.health import ChannelGap
from sotong.channels.x import poll as x_poll
from sotong.orgs.models import ChannelAccount
from tests.fakes.x import FakeX


def test_mentions_beyond_what_x_pages_back_to_are_a_recorded_gap(
    session: Session, x: FakeX, x_account: ChannelAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(x_poll, "MAX_PAGES", 1)  # X's 8 pages of 100, scaled down to one
    for n in range(x_poll.PAGE_SIZE + 5):
        x.mention(f"밀린 민원 {n}번")

    x_poll.poll(session, account_id=x_account.id)

    stored = session.scalars(select(Message.external_id).where(Message.channel_account_id == x_account.id)).all()
    [gap] = session.scalars(select(ChannelGap)).all()
    assert gap.account_id == x_account.id and gap.reason == "backlog"
    assert gap.before_id == min(stored, key=int) and gap.before_at is not None
