"""Rules of the life cycle beyond the transition table: reasons, extensions, transfers, reopening, rating."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.audit.service import case_timeline
from sotong.cases import actions
from sotong.cases.models import Case, CaseStatus, ComplaintType, Message, PeriodUnit, RejectReason
from sotong.errors import DeadlineError, IllegalTransition, InvalidInput, NotFound, PermissionDenied
from sotong.outbox.models import OutboxItem, OutboxStatus
from tests.factories import World, case_in_status, inbound, new_case


def test_hold_requires_a_reason_and_resume_returns_to_where_it_was(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)
    with pytest.raises(InvalidInput):
        actions.hold(session, actor=world.actor(world.officer), case_id=case.id, reason="  ")
    actions.hold(session, actor=world.actor(world.officer), case_id=case.id, reason="현장 확인 대기")
    assert actions.resume(session, actor=world.actor(world.officer), case_id=case.id).status is CaseStatus.in_progress


def test_one_extension_at_most_the_original_length(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)  # 고충: 7 days
    officer = world.actor(world.officer)
    with pytest.raises(DeadlineError, match="at most as long"):
        actions.extend(session, actor=officer, case_id=case.id, value=8, unit=PeriodUnit.days, reason="현장 조사")
    original_due = case.due_at
    extended = actions.extend(
        session, actor=officer, case_id=case.id, value=7, unit=PeriodUnit.days, reason="현장 조사"
    )
    assert extended.due_at > original_due and extended.original_due_at == original_due
    assert extended.extension_reason == "현장 조사"
    with pytest.raises(DeadlineError, match="already been extended"):
        actions.extend(session, actor=officer, case_id=case.id, value=1, unit=PeriodUnit.days, reason="다시")
    notices = session.scalars(select(OutboxItem).where(OutboxItem.kind == "extension_notice")).all()
    assert len(notices) == 1 and notices[0].payload["due_at"] == extended.due_at.isoformat()


def test_extension_needs_a_reason(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    with pytest.raises(InvalidInput):
        actions.extend(
            session, actor=world.actor(world.officer), case_id=case.id, value=1, unit=PeriodUnit.days, reason=""
        )


def test_transfer_to_organisation_restarts_the_clock_there(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)
    new = actions.transfer_to_organisation(
        session, actor=world.actor(world.manager), case_id=case.id, target_org_id=world.seoul.id, reason="시도 관리"
    )
    session.refresh(case)
    assert case.status is CaseStatus.transferred_out and case.transferred_to_case_id == new.id
    assert case.next_escalation_at is None
    assert new.org_id == world.seoul.id and new.status is CaseStatus.received
    assert new.number.split("-")[1] == "서울" and new.source_case_id == case.id
    assert new.clock_started_at > case.clock_started_at
    assert new.body == case.body
    # Seoul's operator now sees it; Songpa's officer does not.
    actions.triage(session, actor=world.actor(world.seoul_operator), case_id=new.id, complaint_type=ComplaintType.other)
    with pytest.raises(NotFound):
        actions.start_work(session, actor=world.actor(world.officer), case_id=new.id)


def test_transfer_to_department_clears_the_officer(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    moved = actions.transfer_to_department(
        session, actor=world.actor(world.manager), case_id=case.id, department_id=world.cleaning.id, reason="청소"
    )
    assert moved.officer_id is None and moved.department_id == world.cleaning.id
    with pytest.raises(InvalidInput):
        actions.transfer_to_department(
            session, actor=world.actor(world.operator), case_id=case.id, department_id=world.cleaning.id, reason="x"
        )
    with pytest.raises(NotFound):
        actions.transfer_to_department(
            session, actor=world.actor(world.operator), case_id=case.id, department_id=world.seoul_dept.id, reason="x"
        )


def test_follow_up_after_answer_reopens_with_a_new_period(session: Session, world: World) -> None:
    result = actions.receive_message(session, account_id=world.x_account.id, inbound=inbound(external_id="t-1"))
    case = result.case
    op = world.actor(world.operator)
    actions.triage(session, actor=op, case_id=case.id, complaint_type=ComplaintType.other, category_id=world.pothole.id)
    actions.answer(session, actor=world.actor(world.officer), case_id=case.id, body="보수했습니다.")
    follow = actions.receive_message(
        session,
        account_id=world.x_account.id,
        inbound=inbound("아직 그대로인데요?", external_id="t-2", in_reply_to="t-1"),
    )
    assert follow.case.id == case.id and follow.created and not follow.new_case
    session.refresh(case)
    assert case.status is CaseStatus.reopened and case.next_escalation_at is not None
    assert [m.external_id for m in case.messages] == ["t-1", "t-2"]


def test_follow_up_on_an_open_case_attaches_without_reopening(session: Session, world: World) -> None:
    first = actions.receive_message(session, account_id=world.x_account.id, inbound=inbound(external_id="o-1"))
    second = actions.receive_message(
        session, account_id=world.x_account.id, inbound=inbound("사진 추가합니다", external_id="o-2", in_reply_to="o-1")
    )
    assert second.case.id == first.case.id and second.case.status is CaseStatus.received


def test_rejected_case_is_kept(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.rejected)
    assert session.get(Case, case.id) is not None and case.next_escalation_at is None
    actions_done = [e.action for e in case_timeline(session, case_id=case.id)]
    assert actions_done == ["case.received", "case.rejected"]


def test_answer_is_masked_for_the_public_and_queued_on_the_citizens_channel(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)
    reply = actions.answer(
        session, actor=world.actor(world.officer), case_id=case.id, body="담당자 연락처 010-2345-6789 로 연락 주세요."
    )
    assert "010-2345-6789" not in (reply.public_body or "") and "[전화번호]" in (reply.public_body or "")
    queued = session.scalars(select(OutboxItem).where(OutboxItem.kind == "answer")).one()
    # A reply on X is public: it goes out masked like the portal's copy (a private channel gets it as written).
    assert queued.transport == "x" and reply.body == "담당자 연락처 010-2345-6789 로 연락 주세요."
    assert "010-2345-6789" not in queued.payload["body"] and "[전화번호]" in queued.payload["body"]
    assert queued.payload["in_reply_to_external_id"] is not None
    session.refresh(case)
    assert case.answered_at is not None and case.next_escalation_at is None


def test_reply_via_another_account(session: Session, world: World) -> None:
    world.x_account.reply_via_account_id = world.mastodon_account.id  # the mayor's account answered by the centre's
    session.commit()
    case = case_in_status(session, world, CaseStatus.in_progress)
    actions.answer(session, actor=world.actor(world.officer), case_id=case.id, body="답변")
    queued = session.scalars(select(OutboxItem).where(OutboxItem.kind == "answer")).one()
    assert queued.transport == "mastodon" and queued.payload["channel_account_id"] == world.mastodon_account.id


def test_rating_needs_the_receipt_token(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.answered)
    with pytest.raises(NotFound):
        actions.rate(session, case_number=case.number, token="wrong", score=5)
    with pytest.raises(InvalidInput):
        actions.rate(session, case_number=case.number, token=case.citizen_token or "", score=6)
    rated = actions.rate(session, case_number=case.number, token=case.citizen_token or "", score=4, comment="감사")
    assert rated.satisfaction == 4
    open_case = case_in_status(session, world, CaseStatus.assigned)
    with pytest.raises(IllegalTransition):
        actions.rate(session, case_number=open_case.number, token=open_case.citizen_token or "", score=3)


def test_assign_requires_an_officer_of_the_department(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.triaged)
    mgr = world.actor(world.manager)
    with pytest.raises(InvalidInput):
        actions.assign(session, actor=mgr, case_id=case.id, officer_id=world.cleaning_officer.id)
    with pytest.raises(NotFound):
        actions.assign(session, actor=mgr, case_id=case.id, officer_id=world.seoul_operator.id)
    with pytest.raises(NotFound):
        actions.assign(session, actor=mgr, case_id=case.id, officer_id=999_999)
    # An officer may take a case for themself, not hand it to a colleague.
    officer = world.actor(world.officer)
    with pytest.raises(PermissionDenied):
        actions.assign(session, actor=officer, case_id=case.id, officer_id=world.officer2.id)
    assert (
        actions.assign(session, actor=officer, case_id=case.id, officer_id=world.officer.id).officer_id
        == world.officer.id
    )


def test_assign_before_routing_is_refused(session: Session, world: World) -> None:
    case = new_case(session, world)
    actions.triage(session, actor=world.actor(world.operator), case_id=case.id, complaint_type=ComplaintType.other)
    with pytest.raises(IllegalTransition, match="department"):
        actions.assign(session, actor=world.actor(world.operator), case_id=case.id, officer_id=world.officer.id)


def test_triage_sets_type_deadline_and_whistleblower_hides(session: Session, world: World) -> None:
    case = new_case(session, world, received_at=dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC))
    short_due = case.due_at
    case = actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=case.id,
        complaint_type=ComplaintType.suggestion,
        category_id=world.pothole.id,
        is_whistleblower=True,
    )
    assert case.department_id == world.roads.id  # from the category
    assert case.period_value == 14 and case.due_at > short_due
    assert case.is_public is False


def test_triage_unknown_category_or_department(session: Session, world: World) -> None:
    case = new_case(session, world)
    op = world.actor(world.operator)
    with pytest.raises(NotFound):
        actions.triage(session, actor=op, case_id=case.id, complaint_type=ComplaintType.other, category_id=424242)
    with pytest.raises(NotFound):
        actions.triage(session, actor=op, case_id=case.id, complaint_type=ComplaintType.other, department_id=424242)
    with pytest.raises(NotFound):
        actions.triage(
            session, actor=op, case_id=case.id, complaint_type=ComplaintType.other, department_id=world.seoul_dept.id
        )
    session.refresh(case)
    assert case.status is CaseStatus.received and case.department_id is None


def test_unknown_case(session: Session, world: World) -> None:
    with pytest.raises(NotFound):
        actions.close(session, actor=world.actor(world.admin), case_id=987654)


def test_system_actor_is_not_staff(world: World) -> None:
    assert not Actor(kind="worker", label="w").is_staff


def test_hiding_spam_withdraws_its_unsent_receipt(session: Session, world: World) -> None:
    case = new_case(session, world)
    actions.reject(session, actor=world.actor(world.operator), case_id=case.id, reason=RejectReason.advertising)
    receipt = session.scalars(select(OutboxItem).where(OutboxItem.case_id == case.id)).one()
    assert receipt.status is OutboxStatus.cancelled


def test_reply_to_a_case_transferred_to_another_organisation_follows_it(session: Session, world: World) -> None:
    first = actions.receive_message(session, account_id=world.x_account.id, inbound=inbound(external_id="tr-1"))
    moved = actions.transfer_to_organisation(
        session,
        actor=world.actor(world.operator),
        case_id=first.case.id,
        target_org_id=world.seoul.id,
        reason="시 소관",
    )
    reply = actions.receive_message(
        session,
        account_id=world.x_account.id,
        inbound=inbound("언제 처리되나요?", external_id="tr-2", in_reply_to="tr-1"),
    )
    assert reply.case.id == moved.id and not reply.new_case


def test_merge_moves_the_messages_and_hides_the_duplicate(session: Session, world: World) -> None:
    main = case_in_status(session, world, CaseStatus.answered)
    duplicate = new_case(session, world, text="석촌호수 보도블럭 아직도 깨져 있어요")
    operator = world.actor(world.operator)
    merged_into = actions.merge(session, actor=operator, case_id=duplicate.id, into_case_id=main.id)
    session.refresh(duplicate)
    assert merged_into.id == main.id and merged_into.status is CaseStatus.reopened  # an answered case reopens
    assert duplicate.status is CaseStatus.rejected and duplicate.reject_reason is RejectReason.duplicate
    assert len(session.scalars(select(Message).where(Message.case_id == main.id)).all()) == 2
    assert session.scalars(select(Message).where(Message.case_id == duplicate.id)).all() == []
    receipt = session.scalars(select(OutboxItem).where(OutboxItem.case_id == duplicate.id)).one()
    assert receipt.status is OutboxStatus.cancelled
    merged = [e for e in case_timeline(session, case_id=duplicate.id) if e.action == "case.merged"]
    assert merged and merged[0].details["into"] == main.number


def test_merge_refusals(session: Session, world: World) -> None:
    case = new_case(session, world)
    operator = world.actor(world.operator)
    with pytest.raises(InvalidInput):
        actions.merge(session, actor=operator, case_id=case.id, into_case_id=case.id)
    seoul_case = actions.receive_message(session, account_id=world.seoul_x_account.id, inbound=inbound()).case
    with pytest.raises(NotFound):
        actions.merge(session, actor=operator, case_id=case.id, into_case_id=seoul_case.id)
    hidden = case_in_status(session, world, CaseStatus.rejected)
    with pytest.raises(IllegalTransition):
        actions.merge(session, actor=operator, case_id=case.id, into_case_id=hidden.id)
    roads_case, other = (
        case_in_status(session, world, CaseStatus.triaged),
        case_in_status(session, world, CaseStatus.triaged),
    )
    with pytest.raises(PermissionDenied):  # the manager sees both (도로과) but merging is the desk's call
        actions.merge(session, actor=world.actor(world.manager), case_id=roads_case.id, into_case_id=other.id)
    session.refresh(case)
    assert case.status is CaseStatus.received
