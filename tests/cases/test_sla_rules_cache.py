"""Deadlines read the SLA policies and closure days from a short-lived per-process copy, cleared by any change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases import actions
from sotong.cases.deadlines import actions as deadline_actions
from sotong.cases.deadlines import sla
from sotong.cases.models import Case, PeriodUnit
from tests.factories import World, inbound

KST = ZoneInfo("Asia/Seoul")
MONDAY_10 = dt.datetime(2026, 11, 16, 10, 0, tzinfo=KST)


@pytest.fixture(autouse=True)
def _empty_copy() -> Iterator[None]:
    sla.forget_rules()
    yield
    sla.forget_rules()


def _receive(session: Session, world: World) -> Case:
    return actions.receive_message(session, account_id=world.x_account.id, inbound=inbound(received_at=MONDAY_10)).case


def _rule_reads(session: Session) -> list[str]:
    """Records every statement that reads the policy or closure-day tables."""
    seen: list[str] = []

    @event.listens_for(session.get_bind(), "before_cursor_execute")
    def _seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "FROM sla_policies" in statement or "FROM closure_days" in statement:
            seen.append(statement)

    return seen


def test_policies_and_closure_days_are_read_once_for_many_cases(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sla.time, "monotonic", lambda: 1000.0)  # however slow the machine, within the TTL
    reads = _rule_reads(session)
    for _ in range(3):
        _receive(session, world)
    assert len(reads) == 2  # one read of each table, not two per case


def test_a_policy_added_in_this_process_applies_to_the_next_case(session: Session, world: World) -> None:
    before = _receive(session, world)
    assert before.sla_policy_id is None
    policy = deadline_actions.create_sla_policy(
        session, actor=CLI, org_id=world.songpa.id, name="X 30분 답변", answer_target_minutes=30
    )
    after = _receive(session, world)
    assert after.sla_policy_id == policy.id and after.answer_target_at == MONDAY_10 + dt.timedelta(minutes=30)


def test_a_policy_changed_in_the_admin_pages_applies_to_the_next_case(session: Session, world: World) -> None:
    policy = deadline_actions.create_sla_policy(
        session, actor=CLI, org_id=world.songpa.id, name="도로 5일", resolution_value=5, resolution_unit=PeriodUnit.days
    )
    assert _receive(session, world).period_value == 5
    deadline_actions.update_sla_policy(
        session,
        actor=CLI,
        policy_id=policy.id,
        name="도로 2일",
        resolution_value=2,
        resolution_unit=PeriodUnit.days,
    )
    assert _receive(session, world).period_value == 2
    deadline_actions.update_sla_policy(session, actor=CLI, policy_id=policy.id, name="꺼짐", enabled=False)
    assert _receive(session, world).sla_policy_id is None


def test_a_closure_day_added_applies_to_the_next_case(session: Session, world: World) -> None:
    # Statutory 3 working hours from Monday 10:00 ends Monday 14:00; with Monday closed, Tuesday 12:00.
    assert _receive(session, world).due_at == MONDAY_10 + dt.timedelta(hours=4)
    deadline_actions.add_closure_day(
        session, actor=CLI, org_id=world.songpa.id, day=MONDAY_10.date(), reason="구민의 날"
    )
    assert _receive(session, world).due_at == dt.datetime(2026, 11, 17, 12, 0, tzinfo=KST)


def test_a_change_made_by_another_process_applies_within_the_ttl(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = deadline_actions.create_sla_policy(
        session, actor=CLI, org_id=world.songpa.id, name="도로 5일", resolution_value=5, resolution_unit=PeriodUnit.days
    )
    clock = 1000.0
    monkeypatch.setattr(sla.time, "monotonic", lambda: clock)
    assert _receive(session, world).period_value == 5
    # Another process (the web server's admin page) changes the row: this process's flush listener never sees it.
    session.execute(text("UPDATE sla_policies SET resolution_value = 2 WHERE id = :id"), {"id": policy.id})
    session.commit()
    assert _receive(session, world).period_value == 5  # the copy is still trusted
    clock += sla.RULES_TTL_SECONDS + 1
    assert _receive(session, world).period_value == 2
