"""Every action against every status: the allowed transitions succeed, the rest are refused and write nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases import actions
from sotong.cases.models import Case, CaseStatus, ComplaintType, RejectReason
from sotong.cases.status import TRANSITIONS
from sotong.errors import IllegalTransition
from sotong.outbox.models import OutboxItem
from tests.factories import World, case_in_status, new_case


def _perform(action: str, session: Session, world: World, case: Case, spare: Case) -> Any:
    """Run `action` on `case` as the organisation's admin with valid arguments (`spare`: another open case)."""
    admin = world.actor(world.admin)
    officer = world.cleaning_officer if case.department_id == world.cleaning.id else world.officer
    other_department = world.roads if case.department_id == world.cleaning.id else world.cleaning
    calls = {
        "triage": lambda: actions.triage(
            session, actor=admin, case_id=case.id, complaint_type=ComplaintType.inquiry, category_id=world.pothole.id
        ),
        "assign": lambda: actions.assign(session, actor=admin, case_id=case.id, officer_id=officer.id),
        "start": lambda: actions.start_work(session, actor=admin, case_id=case.id),
        "hold": lambda: actions.hold(session, actor=admin, case_id=case.id, reason="자료 보완 요청"),
        "resume": lambda: actions.resume(session, actor=admin, case_id=case.id),
        "transfer_department": lambda: actions.transfer_to_department(
            session, actor=admin, case_id=case.id, department_id=other_department.id, reason="소관 부서"
        ),
        "transfer_organisation": lambda: actions.transfer_to_organisation(
            session, actor=admin, case_id=case.id, target_org_id=world.seoul.id, reason="시 관리 도로"
        ),
        "answer": lambda: actions.answer(session, actor=admin, case_id=case.id, body="조치했습니다."),
        "close": lambda: actions.close(session, actor=admin, case_id=case.id),
        "reopen": lambda: actions.reopen(session, actor=admin, case_id=case.id, reason="추가 문의"),
        "reject": lambda: actions.reject(session, actor=admin, case_id=case.id, reason=RejectReason.advertising),
        "restore": lambda: actions.restore(session, actor=admin, case_id=case.id),
        "merge": lambda: actions.merge(session, actor=admin, case_id=case.id, into_case_id=spare.id),
    }
    assert set(calls) == set(TRANSITIONS), "every transition in the table is exercised"
    return calls[action]()


def _counts(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        session.scalar(select(func.count()).select_from(OutboxItem)) or 0,
    )


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
@pytest.mark.parametrize("status", list(CaseStatus))
def test_transition(session: Session, world: World, action: str, status: CaseStatus) -> None:
    case = case_in_status(session, world, status)
    spare = new_case(session, world)
    held_from = case.held_from_status
    transition = TRANSITIONS[action]
    if status in transition.sources:
        _perform(action, session, world, case, spare)
        session.refresh(case)
        expected = transition.target or held_from
        assert case.status is expected
        last = session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id.desc())
        ).first()
        assert last is not None and last.actor_label == world.admin.username
        assert last.before.get("status") == status.value and last.after.get("status") == expected.value
    else:
        before = _counts(session)
        with pytest.raises(IllegalTransition) as refused:
            _perform(action, session, world, case, spare)
        assert status.value in refused.value.message
        session.refresh(case)
        assert case.status is status
        assert _counts(session) == before, "a refused transition writes no audit event and queues nothing"
