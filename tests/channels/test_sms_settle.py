"""A text whose worker was killed after SENS may have taken it: the next worker asks SENS what it took (the list of
requests by time) and records it sent with SENS's requestId, or sends it when SENS never got it; never twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import ClassVar

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.audit.models import AuditEvent
from sotong.channels import accounts as channel_accounts
from sotong.db import atomic, session_factory, utcnow
from sotong.orgs.models import Channel, ChannelAccount
from sotong.outbox import transports
from sotong.outbox.actions import resolve
from sotong.outbox.delivery import claim, deliver, run_once, settle_unknown
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.outbox.service import enqueue
from sotong.outbox.transports import Delivery, Transport
from sotong.settings import get_settings
from tests.factories import World
from tests.fakes import sms as fake_sms
from tests.fakes.sms import FakeSens

PHONE = "010-2345-6789"


class Killed(BaseException):  # stands for SIGKILL: no handler of the worker catches it
    pass


@pytest.fixture
def sens() -> Iterator[FakeSens]:
    with fake_sms.running() as fake:
        yield fake


@pytest.fixture
def account(session: Session, world: World, sens: FakeSens) -> ChannelAccount:
    return channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.sms,
        handle="02-410-1234",
        config={
            "gateway": "sens",
            "service_id": sens.service_id,
            "access_key": sens.access_key,
            "secret_key": sens.secret_key,
            "from_number": "02-410-1234",
            "api_url": sens.base_url,
        },
    )


def _queue(session: Session, world: World, account: ChannelAccount, key: str, body: str) -> int:
    with atomic(session):
        item = enqueue(
            session,
            org_id=world.songpa.id,
            kind="answer",
            transport="sms",
            recipient=PHONE,
            idempotency_key=key,
            payload={"case_number": "2026-송파-000001", "channel_account_id": account.id, "body": body},
        )
    return item.id


def _killed(factory: Callable[[], Session], *, after_sens: bool) -> None:
    """A worker that committed "sending started" and was killed, after SENS took the text or before it left."""
    real = transports.TRANSPORTS["sms"]

    class Dying(Transport):
        name: ClassVar[str] = "sms"

        def send(self, delivery: Delivery, *, session: Session) -> str | None:
            if after_sens:
                real.send(delivery, session=session)
            raise Killed

    with factory() as doomed:
        [delivery] = claim(doomed, worker_id="doomed", now=utcnow())
        transports.TRANSPORTS["sms"] = Dying()
        try:
            with pytest.raises(Killed):
                deliver(doomed, delivery, worker_id="doomed")
        finally:
            transports.TRANSPORTS["sms"] = real


def _next_worker(factory: Callable[[], Session]) -> None:
    later = utcnow() + dt.timedelta(seconds=get_settings().outbox_lease_seconds + 1)
    while run_once(factory, worker_id="next", now=later):
        pass


def test_a_text_sens_took_before_the_kill_is_recorded_sent_not_sent_again(
    engine: Engine, session: Session, world: World, account: ChannelAccount, sens: FakeSens
) -> None:
    item_id = _queue(session, world, account, "a-1", "보도블럭을 교체했습니다.")
    factory = session_factory(engine)
    _killed(factory, after_sens=True)
    _next_worker(factory)
    session.expire_all()
    item = session.get(OutboxItem, item_id)
    assert item is not None and item.status is OutboxStatus.sent
    assert [m["requestId"] for m in sens.sent] == [item.external_ref]  # once, and its id is SENS's
    assert any(r.method == "GET" for r in sens.requests)


def test_a_text_that_never_reached_sens_is_sent_once(
    engine: Engine, session: Session, world: World, account: ChannelAccount, sens: FakeSens
) -> None:
    first = _queue(session, world, account, "a-1", "보도블럭을 교체했습니다.")
    factory = session_factory(engine)
    _next_worker(factory)  # the same words went to the same citizen before, and were recorded
    second = _queue(session, world, account, "a-2", "보도블럭을 교체했습니다.")
    _killed(factory, after_sens=False)
    _next_worker(factory)
    session.expire_all()
    items = session.scalars(select(OutboxItem).where(OutboxItem.id.in_([first, second]))).all()
    assert {item.status for item in items} == {OutboxStatus.sent}
    assert len(sens.sent) == 2 and len({item.external_ref for item in items}) == 2  # not taken for the first one


def _unknown(session: Session, item_id: int) -> None:
    """As a worker leaves an item it could not settle (SENS unreachable when asked, or a read timeout)."""
    with atomic(session):
        item = session.get(OutboxItem, item_id)
        assert item is not None
        item.status = OutboxStatus.unknown
        item.send_started_at = utcnow()
        item.claimed_by = None
        item.lease_expires_at = None
    session.expire_all()


def test_an_unknown_text_is_asked_about_again_and_settled(
    engine: Engine, session: Session, world: World, account: ChannelAccount, sens: FakeSens
) -> None:
    taken = _queue(session, world, account, "a-1", "보도블럭을 교체했습니다.")
    lost = _queue(session, world, account, "a-2", "가로등을 고쳤습니다.")
    factory = session_factory(engine)
    with factory() as worker:  # SENS took the first (its answer was lost); the second never left
        [first, _second] = claim(worker, worker_id="w", now=utcnow())
        transports.TRANSPORTS["sms"].send(first, session=worker)
    _unknown(session, taken)
    _unknown(session, lost)
    assert settle_unknown(factory) == 2
    assert settle_unknown(factory) == 0  # asked once per SETTLE_AGAIN, and nothing is left to ask
    _next_worker(factory)
    session.expire_all()
    first_item, second_item = session.get(OutboxItem, taken), session.get(OutboxItem, lost)
    assert first_item is not None and second_item is not None
    assert first_item.status is OutboxStatus.sent and first_item.external_ref == sens.sent[0]["requestId"]
    assert second_item.status is OutboxStatus.sent
    assert [m["content"] for m in sens.sent].count(sens.sent[0]["content"]) == 1 and len(sens.sent) == 2
    events = session.scalars(select(AuditEvent.action).where(AuditEvent.action == "outbox.settled")).all()
    assert len(events) == 2


def test_a_text_settled_by_a_person_meanwhile_is_left_as_they_decided(
    engine: Engine, session: Session, world: World, account: ChannelAccount, sens: FakeSens
) -> None:
    item_id = _queue(session, world, account, "a-1", "보도블럭을 교체했습니다.")
    _unknown(session, item_id)
    resolve(session, actor=world.actor(world.operator), item_id=item_id, how="phone")
    assert settle_unknown(session_factory(engine)) == 0
    session.expire_all()
    item = session.get(OutboxItem, item_id)
    assert item is not None and item.status is OutboxStatus.resolved and sens.sent == []
