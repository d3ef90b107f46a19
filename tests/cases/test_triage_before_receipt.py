"""Intake asks triage first: a complaint's receipt states its type's statutory deadline, and chatter gets no
"접수" receipt but the organisation's chosen reply, is hidden from the public list and reaches no department."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases import actions
from sotong.cases import service as case_service
from sotong.cases.models import CaseStatus, ComplaintType, PeriodUnit, RejectReason
from sotong.orgs import actions as org_actions
from sotong.outbox.models import OutboxItem
from sotong.triage import actions as triage_actions
from tests.factories import World, new_case

CHATTER = "구청장님 화이팅! 오늘 날씨 좋네요"
SUGGESTION = "주말에 공원 산책로에 벤치를 더 설치해 주시면 좋겠습니다. 건의드립니다."


def _outbox(session: Session, case_id: int) -> list[OutboxItem]:
    return list(session.scalars(select(OutboxItem).where(OutboxItem.case_id == case_id).order_by(OutboxItem.id)))


def test_the_receipt_states_the_deadline_of_the_complaints_type(session: Session, world: World) -> None:
    case = new_case(session, world, text=SUGGESTION)
    assert case.complaint_type is ComplaintType.suggestion
    assert (case.period_value, case.period_unit) == (14, PeriodUnit.days)
    [receipt] = _outbox(session, case.id)
    assert receipt.kind == "receipt" and receipt.payload["due_at"] == case.due_at.isoformat()
    # The worker's triage pass agrees with the receipt: the deadline does not move behind the citizen's back.
    due = case.due_at
    triage_actions.triage_case(session, case_id=case.id)
    session.refresh(case)
    assert case.due_at == due


def test_chatter_is_acknowledged_hidden_and_never_listed(session: Session, world: World) -> None:
    case = new_case(session, world, text=CHATTER)
    assert case.status is CaseStatus.rejected and case.reject_reason is RejectReason.not_relevant
    assert case.department_id is None
    assert [item.kind for item in _outbox(session, case.id)] == ["acknowledgement"]
    public = session.scalars(case_service.publicly_listed()).all()
    assert case.id not in {c.id for c in public}


def test_an_organisation_may_answer_chatter_with_nothing(session: Session, world: World) -> None:
    org_actions.set_chatter_reply(session, actor=CLI, org_id=world.songpa.id, reply="none")
    case = new_case(session, world, text=CHATTER)
    assert case.status is CaseStatus.rejected
    assert _outbox(session, case.id) == []


def test_chatter_restored_as_a_complaint_gets_its_receipt(session: Session, world: World) -> None:
    case = new_case(session, world, text=CHATTER)
    actions.restore(session, actor=world.actor(world.operator), case_id=case.id)
    assert [item.kind for item in _outbox(session, case.id)] == ["acknowledgement", "receipt"]
