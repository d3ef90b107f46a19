"""보류: a hold says why and until when, and the citizen hears of it on their channel."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import CaseStatus
from sotong.cases.wording import reply_text
from sotong.errors import InvalidInput
from sotong.outbox.models import OutboxItem
from sotong.outbox.transports import Delivery
from tests.factories import World, case_in_status

SEOUL = dt.timezone(dt.timedelta(hours=9))


def _in_days(days: int) -> dt.date:
    return (dt.datetime.now(SEOUL) + dt.timedelta(days=days)).date()


def test_a_hold_tells_the_citizen_why_and_until_when(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)
    until = _in_days(5)
    held = actions.hold(
        session, actor=world.actor(world.officer), case_id=case.id, reason="부품 입고 대기", until=until
    )
    assert held.status is CaseStatus.on_hold and held.hold_until == until
    notice = session.scalars(select(OutboxItem).where(OutboxItem.kind == "hold_notice")).one()
    assert notice.case_id == case.id and notice.transport == "x"  # the citizen's own channel
    assert notice.payload["reason"] == "부품 입고 대기" and notice.payload["until"] == until.isoformat()
    text = reply_text(Delivery.of(notice))
    assert case.number in text and "부품 입고 대기" in text and f"{until.isoformat()}에 다시 처리할 예정" in text

    resumed = actions.resume(session, actor=world.actor(world.officer), case_id=case.id)
    assert resumed.status is CaseStatus.in_progress and resumed.hold_until is None


def test_a_resume_date_in_the_past_is_refused(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)
    with pytest.raises(InvalidInput, match="past"):
        actions.hold(session, actor=world.actor(world.officer), case_id=case.id, reason="대기", until=_in_days(-2))
    assert not session.scalars(select(OutboxItem).where(OutboxItem.kind == "hold_notice")).all()


def test_each_hold_is_told_once(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)
    officer = world.actor(world.officer)
    actions.hold(session, actor=officer, case_id=case.id, reason="첫 보류", until=_in_days(1))
    actions.resume(session, actor=officer, case_id=case.id)
    actions.hold(session, actor=officer, case_id=case.id, reason="두 번째 보류", until=_in_days(3))
    notices = session.scalars(select(OutboxItem).where(OutboxItem.kind == "hold_notice").order_by(OutboxItem.id))
    assert [n.payload["reason"] for n in notices] == ["첫 보류", "두 번째 보류"]
