"""Escalation: the officer is warned before the deadline and the manager told when it passes, once each,
however often and by however many workers the sweep runs.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases import actions
from sotong.cases.escalation import sweep
from sotong.cases.models import Case, CaseStatus, PeriodUnit
from sotong.db import atomic, make_engine, session_factory
from sotong.notifications.models import Notification
from sotong.outbox.delivery import run_once
from sotong.outbox.models import OutboxItem
from sotong.settings import get_settings
from tests.factories import World, build_world, case_in_status, new_case

MINUTE = dt.timedelta(minutes=1)


def _warning() -> dt.timedelta:
    return dt.timedelta(minutes=get_settings().escalation_warning_minutes)


def _reload(session: Session, case: Case) -> Case:
    session.expire_all()
    fresh = session.get(Case, case.id)
    assert fresh is not None
    return fresh


def _notified(session: Session, case: Case) -> list[tuple[int, int]]:
    """(level, user id) of every escalation notification queued for the case."""
    items = session.scalars(
        select(OutboxItem)
        .where(OutboxItem.case_id == case.id, OutboxItem.idempotency_key.like("escalation:%"))
        .order_by(OutboxItem.id)
    )
    return [(item.payload["level"], item.payload["user_id"]) for item in items]


def _escalations(session: Session, case: Case) -> list[int]:
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "case.escalated")
    )
    return sorted(e.details["level"] for e in events)


def test_due_soon_warns_the_assigned_officer_once(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    assert case.next_escalation_at == case.due_at - _warning()

    assert sweep(session, now=case.next_escalation_at) == 1
    assert sweep(session, now=case.next_escalation_at) == 0
    assert sweep(session, now=case.due_at - MINUTE) == 0

    case = _reload(session, case)
    assert (case.escalation_level, case.next_escalation_at) == (1, case.due_at)
    assert _notified(session, case) == [(1, world.officer.id)]
    assert _escalations(session, case) == [1]


def test_warning_reaches_the_officer_inbox(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)
    sweep(session, now=case.due_at - _warning())

    run_once(session_factory(session.get_bind()), worker_id="w1")  # type: ignore[arg-type]

    [note] = session.scalars(select(Notification).where(Notification.kind == "due_soon")).all()
    assert (note.user_id, note.case_id) == (world.officer.id, case.id)
    assert case.number in note.text


def test_overdue_tells_the_department_manager_once(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    sweep(session, now=case.due_at - _warning())

    assert sweep(session, now=case.due_at) == 1
    assert sweep(session, now=case.due_at + dt.timedelta(days=30)) == 0

    case = _reload(session, case)
    assert (case.escalation_level, case.next_escalation_at) == (2, None)
    assert _notified(session, case) == [(1, world.officer.id), (2, world.manager.id)]
    assert _escalations(session, case) == [1, 2]


def test_case_found_already_overdue_sends_only_the_overdue_notice(session: Session, world: World) -> None:
    # Not "기한이 다가옵니다" and "기한이 지났습니다" in the same minute: the most urgent one, to both people.
    case = case_in_status(session, world, CaseStatus.assigned)

    assert sweep(session, now=case.due_at + dt.timedelta(hours=3)) == 1

    case = _reload(session, case)
    assert (case.escalation_level, case.next_escalation_at) == (2, None)
    assert _notified(session, case) == [(2, world.officer.id), (2, world.manager.id)]
    assert _escalations(session, case) == [2]


def test_unassigned_case_warns_the_department_managers(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.triaged)  # routed to 도로과, nobody assigned yet
    sweep(session, now=case.due_at - _warning())
    assert _notified(session, case) == [(1, world.manager.id)]


def test_case_without_department_goes_to_the_operators(session: Session, world: World) -> None:
    case = new_case(session, world)  # still on the triage desk

    assert sweep(session, now=case.due_at - _warning()) == 1
    assert sweep(session, now=case.due_at) == 1

    # Songpa's operator on both counts; Seoul's operator never hears of Songpa's cases.
    assert _notified(session, case) == [(1, world.operator.id), (2, world.operator.id)]


def test_on_hold_cases_still_escalate(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.on_hold)  # 보류 does not stop the statutory clock
    assert sweep(session, now=case.due_at) == 1
    assert _escalations(session, case) == [2]


@pytest.mark.parametrize("status", [CaseStatus.answered, CaseStatus.closed, CaseStatus.rejected])
def test_finished_cases_are_not_escalated(session: Session, world: World, status: CaseStatus) -> None:
    case = case_in_status(session, world, status)
    assert case.next_escalation_at is None
    assert sweep(session, now=case.due_at + dt.timedelta(days=365)) == 0
    assert _notified(session, case) == []


def test_leftover_escalation_on_a_closed_case_is_cleared_silently(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.closed)
    with atomic(session):  # as if an old version had forgotten to stop the clock
        session.execute(update(Case).where(Case.id == case.id).values(next_escalation_at=case.due_at))

    assert sweep(session, now=case.due_at + MINUTE) == 0

    assert _reload(session, case).next_escalation_at is None
    assert _notified(session, case) == []


def test_extension_starts_escalation_over_for_the_new_deadline(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)
    old_due = case.due_at
    sweep(session, now=old_due - _warning())
    actions.extend(
        session,
        actor=world.actor(world.manager),
        case_id=case.id,
        value=7,
        unit=PeriodUnit.days,
        reason="현장 조사에 시간이 더 필요합니다",
    )
    case = _reload(session, case)
    assert (case.escalation_level, case.next_escalation_at) == (0, case.due_at - _warning())
    assert case.due_at > old_due

    assert sweep(session, now=old_due + MINUTE) == 0
    assert sweep(session, now=case.due_at - _warning()) == 1

    assert _notified(session, case) == [(1, world.officer.id), (1, world.officer.id)]
    keys = session.scalars(select(OutboxItem.idempotency_key).where(OutboxItem.idempotency_key.like("escalation:%")))
    assert len(set(keys)) == 2  # the due time is part of the key


def test_limit_and_batches(session: Session, world: World) -> None:
    cases = [new_case(session, world) for _ in range(5)]
    now = max(c.next_escalation_at for c in cases if c.next_escalation_at) + MINUTE
    assert now < min(c.due_at for c in cases)

    assert sweep(session, now=now, limit=3, batch=2) == 3
    assert sweep(session, now=now, limit=3, batch=2) == 2
    assert sweep(session, now=now) == 0


# ------------------------------------------------------------------------------ concurrent sweepers


def _sweeper(url: str, now: str, barrier: Any, results: Any) -> None:
    """Child process: wait for the other sweeper, then sweep everything due at `now` in small batches."""
    engine = make_engine(url)
    with session_factory(engine)() as session:
        barrier.wait(timeout=60)
        results.put(sweep(session, now=dt.datetime.fromisoformat(now), batch=3))
    engine.dispose()


@pytest.fixture
def pg_session(pg_url: str) -> Iterator[Session]:
    engine = make_engine(pg_url)
    with session_factory(engine)() as s:
        yield s
    engine.dispose()


@pytest.mark.postgres_only
def test_two_concurrent_sweepers_raise_each_level_exactly_once(pg_url: str, pg_session: Session) -> None:
    world = build_world(pg_session)
    cases = [new_case(pg_session, world) for _ in range(30)]
    cases += [case_in_status(pg_session, world, CaseStatus.assigned) for _ in range(10)]
    now = max(c.due_at for c in cases) + MINUTE
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    sweepers = [ctx.Process(target=_sweeper, args=(pg_url, now.isoformat(), barrier, results)) for _ in range(2)]
    for p in sweepers:
        p.start()
    for p in sweepers:
        p.join(timeout=120)
    assert [p.exitcode for p in sweepers] == [0, 0]

    raised = [results.get(timeout=5) for _ in sweepers]
    assert sum(raised) == len(cases)
    levels = Counter(
        pg_session.execute(
            select(AuditEvent.case_id, AuditEvent.details["level"].as_integer()).where(
                AuditEvent.action == "case.escalated"
            )
        ).all()
    )
    assert set(levels.values()) == {1}  # no (case, level) twice
    assert len(levels) == len(cases)  # found overdue: the overdue level only
    queued = pg_session.scalar(select(func.count()).where(OutboxItem.idempotency_key.like("escalation:%")))
    # One notice per person told: the operator for a desk case; officer and manager for an assigned one.
    assert queued == 30 + 2 * 10
    assert pg_session.scalar(select(func.count()).where(Case.escalation_level != 2)) == 0


def test_a_sweeper_that_read_a_stale_level_raises_nothing(session: Session, world: World) -> None:
    """The race, played slowly: B reads the due row, A raises it, then B tries to."""
    from sotong.cases import escalation

    case = case_in_status(session, world, CaseStatus.assigned)
    now = case.due_at - _warning()
    with atomic(session):
        rows = session.execute(escalation.due_query(now, limit=10, postgresql=False)).all()
    stale = [escalation._plan(escalation._as_due(row), now=now, warning=_warning()) for row in rows]

    assert sweep(session, now=now) == 1
    with atomic(session):
        assert escalation._move(session, stale) == set()

    assert _notified(session, case) == [(1, world.officer.id)]
