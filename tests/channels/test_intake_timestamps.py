"""A platform timestamp far from now is not believed: taken in as received now, with a log line; a plausible one
(a poll's backlog of a few days) is kept as the platform gave it."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Message
from sotong.channels.intake import take_in
from tests.factories import World, inbound

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def _stored_at(session: Session, external_id: str) -> dt.datetime:
    session.expire_all()
    at = session.scalars(select(Message.received_at).where(Message.external_id == external_id)).one()
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "received_at",
    [
        NOW + dt.timedelta(days=400),  # a year out: the deadline would be pushed a year
        NOW + dt.timedelta(minutes=6),
        dt.datetime(1970, 1, 1, tzinfo=dt.UTC),  # epoch 0 from a parser that read nothing
        NOW - dt.timedelta(days=366),
    ],
)
def test_a_timestamp_far_from_now_is_clamped_and_logged(
    session: Session, world: World, received_at: dt.datetime, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="sotong.channels.intake"):
        result = take_in(
            session,
            account_id=world.x_account.id,
            messages=[inbound(external_id="far", received_at=received_at)],
            now=NOW,
        )
    assert result.stored == 1
    assert _stored_at(session, "far") == NOW
    assert any("far from now" in r.getMessage() and "far" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "received_at", [NOW, NOW + dt.timedelta(minutes=4), NOW - dt.timedelta(days=6), NOW - dt.timedelta(days=364)]
)
def test_a_plausible_timestamp_is_kept(
    session: Session, world: World, received_at: dt.datetime, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="sotong.channels.intake"):
        take_in(
            session,
            account_id=world.x_account.id,
            messages=[inbound(external_id="near", received_at=received_at)],
            now=NOW,
        )
    assert _stored_at(session, "near") == received_at
    assert not any("far from now" in r.getMessage() for r in caplog.records)
