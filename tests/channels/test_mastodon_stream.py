"""Mastodon streaming: a mention is taken in the moment the streaming API delivers it (with its photo), a
dropped stream reconnects, and the poll that runs as the safety net never stores it twice."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.cases.models import Attachment, Case, Message
from sotong.channels.mastodon import stream as streaming
from sotong.channels.mastodon.poll import poll
from sotong.orgs.models import ChannelAccount
from tests.fakes.mastodon import FakeMastodon


def wait_for_messages(session: Session, n: int, timeout: float = 15.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        session.expire_all()
        count = session.scalar(select(func.count()).select_from(Message)) or 0
        session.rollback()
        if count >= n or time.monotonic() > deadline:
            return count
        time.sleep(0.1)


def test_a_streamed_mention_is_taken_in_at_once_and_a_dropped_stream_reconnects(
    session: Session,
    factory: Callable[[], Session],
    mastodon: FakeMastodon,
    mastodon_account: ChannelAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(streaming, "RECONNECT_SECONDS", 1)
    stream = streaming.open_stream(factory, mastodon_account.id)
    try:
        # Connected and reading once the first heartbeat arrives (a mention before that is the poll's).
        deadline = time.monotonic() + 10
        while not stream.listener.heartbeats and time.monotonic() < deadline:
            time.sleep(0.05)
        status = mastodon.mention("잠실 새내역 앞 가로등이 꺼졌어요", photos=1)
        assert wait_for_messages(session, 1) == 1
        message = session.scalars(select(Message)).one()
        assert message.external_id == status["id"]
        case = session.scalars(select(Case)).one()
        assert case.author_handle == "@minji@mastodon.social"
        photos = session.scalars(select(Attachment).where(Attachment.message_id == message.id)).all()
        assert [p.content_type for p in photos] == ["image/jpeg"]

        # The instance restarts: the stream ends, Mastodon.py reconnects, later mentions still arrive.
        beats = stream.listener.heartbeats
        mastodon.close_streams()
        deadline = time.monotonic() + 15
        while stream.listener.heartbeats <= beats + 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        mastodon.mention("석촌호수 산책로 벤치가 부서졌어요")
        assert wait_for_messages(session, 2) == 2
    finally:
        stream.close()

    # The poll (safety net) sees both mentions again: both are recognised, none stored twice.
    result = poll(session, account_id=mastodon_account.id)
    assert (result.taken.stored, result.taken.duplicates) == (0, 2)
    assert wait_for_messages(session, 2, timeout=0) == 2


def test_accounts_can_opt_out_of_streaming(session: Session, mastodon_account: ChannelAccount) -> None:
    assert mastodon_account.id in streaming.streamed_accounts(session)
    mastodon_account.config = {**mastodon_account.config, "streaming": False}
    session.commit()
    assert mastodon_account.id not in streaming.streamed_accounts(session)
