"""The life cycle of a case after intake: one action per state change (triage, assign, hold, transfer, close,
reopen, hide, merge, extend, rate...), each owning its transaction, its audit event and its outbox rows.

The model for every action: keyword-only, `with atomic`, the row locked (`load_case`), the transition checked
(cases/status.py), a snapshot-diff audit event, outbound work queued in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sotong.actors import (
    CITIZEN,
    WORKER,
    Actor,
    Role,
    require_department_or_org_wide,
    require_role,
)
from sotong.audit.service import record
from sotong.cases import assignment, links
from sotong.cases.actions.effects import (
    audit,
    load_case,
    next_number,
    notify,
    notify_follow_up,
    notify_owner,
    queue_to_citizen,
    reset_escalation,
    set_deadlines,
    snapshot,
    stop_clock,
    withdraw_receipt,
)
from sotong.cases.actions.publication import bump_generation
from sotong.cases.deadlines import sla
from sotong.cases.models import (
    Case,
    CaseStatus,
    ComplaintType,
    Message,
    PeriodUnit,
    RejectReason,
)
from sotong.cases.status import EXTEND_SOURCES, RATE_SOURCES, check_transition
from sotong.db import atomic, utcnow
from sotong.errors import (
    DeadlineError,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from sotong.i18n import translate
from sotong.orgs.models import User
from sotong.orgs.service import category_in, department_in, organisation
from sotong.outbox.models import OutboxItem
from sotong.text.pii import mask

# --------------------------------------------------------------------------------------------- helpers


# --------------------------------------------------------------------------------------------- intake


# --------------------------------------------------------------------------------------------- life cycle


def triage(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    complaint_type: ComplaintType,
    category_id: int | None = None,
    department_id: int | None = None,
    is_public: bool | None = None,
    is_whistleblower: bool | None = None,
    public_text: str | None = None,
) -> Case:
    """Confirm or correct what a case is (type, category, department); deadlines follow the type."""
    with atomic(session):
        case = load_case(session, actor, case_id)
        require_role(actor, Role.admin, Role.operator, what="triage cases")
        check_transition("triage", case.status)
        before = snapshot(case)
        if category_id is not None:
            category = category_in(session, case.org_id, category_id)
            case.category_id = category.id
            if department_id is None and category.department_id is not None:
                department_id = category.department_id
        if department_id is not None:
            case.department_id = department_in(session, case.org_id, department_id).id
        public_before = (case.is_public, case.is_whistleblower, case.public_text)
        if is_whistleblower is not None:
            case.is_whistleblower = is_whistleblower
        if is_public is not None:
            case.is_public = is_public
        if case.is_whistleblower:
            case.is_public = False  # 공익신고 is never listed
        if public_text is not None:
            case.public_text = mask(public_text)
        if case.released_at is not None and (case.is_public, case.is_whistleblower, case.public_text) != public_before:
            bump_generation(session)  # every web process drops it from its caches (portal/generation.py)
        type_changed = case.complaint_type != complaint_type
        case.complaint_type = complaint_type
        case.status = CaseStatus.triaged
        case.triaged_at = utcnow()
        basis_changed = (
            type_changed or before["category_id"] != case.category_id or before["department_id"] != case.department_id
        )
        if basis_changed:
            # Same clock, new basis; an extension already granted still counts (only one per case).
            set_deadlines(session, case, start=case.clock_started_at, keep_extension=True)
        audit(session, actor, case, "triaged", before, is_public=True)
        # Reaching a department: it may hand the case to an on-duty officer itself (see cases/assignment.py).
        auto_assign(session, case=case)
    return case


def assign(session: Session, *, actor: Actor, case_id: int, officer_id: int) -> Case:
    """Give the case to an officer of its department (a manager or the centre; an officer may take it)."""
    with atomic(session):
        case = load_case(session, actor, case_id)
        check_transition("assign", case.status)
        if actor.is_staff and actor.role is Role.officer and actor.user_id != officer_id:
            raise PermissionDenied("an officer may only take a case for themself")
        require_role(actor, Role.admin, Role.operator, Role.dept_manager, Role.officer, what="assign cases")
        require_department_or_org_wide(actor, case.department_id, what="assign this case")
        if case.department_id is None:
            raise IllegalTransition("route the case to a department before assigning it")
        officer = session.get(User, officer_id)
        if officer is None or officer.org_id != case.org_id or not officer.is_active:
            raise NotFound(f"unknown officer {officer_id} in this organisation")
        if officer.department_id != case.department_id:
            raise InvalidInput(f"{officer.display_name} is not in the case's department")
        if officer.role not in (Role.officer, Role.dept_manager):
            raise InvalidInput(f"{officer.display_name} is not an officer")
        before = snapshot(case)
        case.officer_id = officer.id
        case.status = CaseStatus.assigned
        case.assigned_at = utcnow()
        audit(session, actor, case, "assigned", before, is_public=True)
        notify(
            session,
            case,
            officer.id,
            kind="assigned",
            text=translate("ko", "notify.assigned", number=case.number),
            key=case.assigned_at.isoformat(),
        )
    return case


def start_work(session: Session, *, actor: Actor, case_id: int) -> Case:
    """The assigned officer starts work (처리중)."""
    with atomic(session):
        case = load_case(session, actor, case_id)
        check_transition("start", case.status)
        require_department_or_org_wide(actor, case.department_id, what="work on this case")
        before = snapshot(case)
        case.status = CaseStatus.in_progress
        audit(session, actor, case, "started", before)
    return case


def hold(session: Session, *, actor: Actor, case_id: int, reason: str, until: dt.date | None = None) -> Case:
    """Put the case on hold (보류) with a reason and the day work should resume; the statutory deadline keeps
    running. The citizen is told on their channel: why, and until when (a hold nobody hears of looks like
    nothing happening)."""
    if not reason.strip():
        raise InvalidInput("a hold needs a reason")
    with atomic(session):
        case = load_case(session, actor, case_id)
        check_transition("hold", case.status)
        require_department_or_org_wide(actor, case.department_id, what="hold this case")
        now = utcnow()
        if until is not None:
            today = now.astimezone(ZoneInfo(organisation(session, case.org_id).timezone)).date()
            if until < today:
                raise InvalidInput("the expected resume date is in the past")
        before = snapshot(case)
        case.held_from_status = case.status
        case.hold_reason = reason.strip()
        case.hold_until = until
        case.status = CaseStatus.on_hold
        details = {"reason": case.hold_reason, "until": until}
        audit(session, actor, case, "held", before, details=details, is_public=True)
        queue_to_citizen(
            session,
            case,
            kind="hold_notice",
            key=now.isoformat(),
            payload={"reason": case.hold_reason, "until": until.isoformat() if until else None},
        )
    return case


def resume(session: Session, *, actor: Actor, case_id: int) -> Case:
    """Take the case off hold, back to where it was."""
    with atomic(session):
        case = load_case(session, actor, case_id)
        check_transition("resume", case.status)
        require_department_or_org_wide(actor, case.department_id, what="resume this case")
        before = snapshot(case)
        case.status = case.held_from_status or CaseStatus.triaged
        case.held_from_status = None
        case.hold_until = None
        audit(session, actor, case, "resumed", before, details={"hold_reason": case.hold_reason})
    return case


def transfer_to_department(session: Session, *, actor: Actor, case_id: int, department_id: int, reason: str) -> Case:
    """이송 within the organisation: the case waits for the new department to assign it (same clock)."""
    if not reason.strip():
        raise InvalidInput("a transfer needs a reason")
    with atomic(session):
        case = load_case(session, actor, case_id)
        check_transition("transfer_department", case.status)
        require_department_or_org_wide(actor, case.department_id, what="transfer this case")
        target = department_in(session, case.org_id, department_id)
        if target.id == case.department_id:
            raise InvalidInput("the case is already with that department")
        before = snapshot(case)
        case.department_id = target.id
        case.officer_id = None
        case.held_from_status = None
        case.status = CaseStatus.transferred
        audit(
            session,
            actor,
            case,
            "transferred",
            before,
            details={"reason": reason.strip(), "to_department": target.name},
            is_public=True,
        )
        auto_assign(session, case=case)
    return case


def transfer_to_organisation(session: Session, *, actor: Actor, case_id: int, target_org_id: int, reason: str) -> Case:
    """이송 to the competent organisation (city ↔ district): closed here, a new case there, clock restarted.

    The complaint travels whole: every message of the case (the first, the citizen's follow-ups) with its
    photos moves to the new case, so the receiving organisation reads what the citizen wrote and answers in its
    thread; the two cases name each other (`source_case_id`, `transferred_to_case_id`). Returns the new case.
    """
    if not reason.strip():
        raise InvalidInput("a transfer needs a reason")
    with atomic(session):
        case = load_case(session, actor, case_id)
        check_transition("transfer_organisation", case.status)
        require_role(actor, Role.admin, Role.operator, Role.dept_manager, what="transfer to another organisation")
        require_department_or_org_wide(actor, case.department_id, what="transfer this case")
        target_org = organisation(session, target_org_id)
        if target_org.id == case.org_id:
            raise InvalidInput("the case is already in that organisation")
        now = utcnow()
        new_case = Case(
            org_id=target_org.id,
            number=next_number(session, target_org, now),
            status=CaseStatus.received,
            complaint_type=case.complaint_type,
            channel=case.channel,
            # Answers still go back on the channel the citizen used, through the original account.
            channel_account_id=case.channel_account_id,
            author_handle=case.author_handle,
            contact=dict(case.contact),
            title=case.title,
            body=case.body,
            public_text=case.public_text,
            is_public=case.is_public,
            is_whistleblower=case.is_whistleblower,
            # Already reviewed and published here: the same words stay public there (and a private one private).
            public_title=case.public_title,
            released_at=now if case.released_at is not None else None,
            citizen_private=case.citizen_private,
            latitude=case.latitude,
            longitude=case.longitude,
            address=case.address,
            received_at=now,
            source_case_id=case.id,
            citizen_token=case.citizen_token,
            due_at=now,
        )
        session.add(new_case)
        set_deadlines(session, new_case, start=now)
        session.flush()
        before = snapshot(case)
        case.status = CaseStatus.transferred_out
        case.transferred_to_case_id = new_case.id
        case.closed_at = now
        stop_clock(case)
        first = session.scalar(select(Message).where(Message.case_id == case.id).order_by(Message.id).limit(1))
        # The notice goes out in the thread of the citizen's first message, as everything about the case did.
        queue_to_citizen(
            session,
            case,
            kind="transfer_notice",
            key=new_case.number,
            payload={"new_case_number": new_case.number, "to_org": target_org.name},
            first=first,
        )
        moved = list(session.scalars(select(Message.id).where(Message.case_id == case.id).order_by(Message.id)))
        session.execute(
            update(Message)
            .where(Message.case_id == case.id)
            .values(case_id=new_case.id)
            .execution_options(synchronize_session=False)
        )
        from_org = organisation(session, case.org_id)
        details = {
            "reason": reason.strip(),
            "to_org": target_org.name,
            "new_case_number": new_case.number,
            "messages": moved,
        }
        audit(session, actor, case, "transferred_out", before, details=details, is_public=True)
        record(
            session,
            actor=actor,
            action="case.received",
            org_id=target_org.id,
            case_id=new_case.id,
            after=snapshot(new_case),
            details={
                "transferred_from": case.number,
                "from_org": from_org.name,
                "reason": reason.strip(),
                "messages": moved,
            },
            is_public=True,
        )
    session.expire(case, ["messages"])
    session.expire(new_case, ["messages"])
    return new_case


def close(session: Session, *, actor: Actor, case_id: int) -> Case:
    """Close an answered case (종결)."""
    with atomic(session):
        case = load_case(session, actor, case_id)
        check_transition("close", case.status)
        require_department_or_org_wide(actor, case.department_id, what="close this case")
        before = snapshot(case)
        case.status = CaseStatus.closed
        case.closed_at = utcnow()
        stop_clock(case)
        audit(session, actor, case, "closed", before, is_public=True)
    return case


def reopen(session: Session, *, actor: Actor, case_id: int, reason: str) -> Case:
    """Reopen an answered or closed case for a follow-up question (재문의); a new period starts."""
    if not reason.strip():
        raise InvalidInput("reopening needs a reason")
    with atomic(session):
        case = load_case(session, actor, case_id)
        check_transition("reopen", case.status)
        require_department_or_org_wide(actor, case.department_id, what="reopen this case")
        before = snapshot(case)
        case.status = CaseStatus.reopened
        case.closed_at = None
        set_deadlines(session, case, start=utcnow())
        audit(session, actor, case, "reopened", before, details={"reason": reason.strip()}, is_public=True)
        notify_owner(
            session,
            case,
            kind="reopened",
            text=translate("ko", "notify.reopened", number=case.number),
            key=utcnow().isoformat(),
        )
    return case


def reject(session: Session, *, actor: Actor, case_id: int, reason: RejectReason, note: str = "") -> Case:
    """Hide spam, abuse or advertising (kept, never deleted; no answer is sent)."""
    with atomic(session):
        case = load_case(session, actor, case_id)
        check_transition("reject", case.status)
        require_role(actor, Role.admin, Role.operator, what="hide cases")
        before = snapshot(case)
        case.status = CaseStatus.rejected
        case.reject_reason = reason
        if case.released_at is not None:
            bump_generation(session)  # a rejected case leaves the public surfaces: every process's caches too
        stop_clock(case)
        withdraw_receipt(session, case)
        audit(session, actor, case, "rejected", before, details={"reason": reason, "note": note})
    return case


def restore(session: Session, *, actor: Actor, case_id: int) -> Case:
    """Undo a wrong rejection: the case goes back to the desk as received."""
    with atomic(session):
        case = load_case(session, actor, case_id)
        check_transition("restore", case.status)
        require_role(actor, Role.admin, Role.operator, what="restore hidden cases")
        before = snapshot(case)
        case.status = CaseStatus.received
        was_chatter = case.reject_reason is RejectReason.not_relevant
        case.reject_reason = None
        reset_escalation(case)
        audit(session, actor, case, "restored", before)
        if was_chatter and not _receipt_queued(session, case):
            # Taken for chatter at intake, it got no receipt: as a complaint now, it gets one.
            queue_to_citizen(session, case, kind="receipt", key="1", payload={"due_at": case.due_at.isoformat()})
    return case


def _receipt_queued(session: Session, case: Case) -> bool:
    query = select(OutboxItem.id).where(OutboxItem.case_id == case.id, OutboxItem.kind == "receipt").limit(1)
    return session.scalar(query) is not None


def merge(session: Session, *, actor: Actor, case_id: int, into_case_id: int) -> Case:
    """Merge a duplicate into the case it repeats: its messages move there and it is hidden as a duplicate.

    The main case receives the messages as follow-ups (an answered one reopens); returns the main case. The
    link between the two lives in their audit events ("case.merged" names the main case).
    """
    if case_id == into_case_id:
        raise InvalidInput("a case cannot be merged into itself")
    with atomic(session):
        case = load_case(session, actor, case_id)
        check_transition("merge", case.status)
        require_role(actor, Role.admin, Role.operator, what="merge cases")
        target = load_case(session, actor, into_case_id)
        if target.org_id != case.org_id:
            raise NotFound("no such case in this organisation")
        if target.status in (CaseStatus.rejected, CaseStatus.transferred_out):
            raise IllegalTransition(f"cannot merge into a case that is {target.status.value}")
        before, target_before = snapshot(case), snapshot(target)
        moved = list(session.scalars(select(Message.id).where(Message.case_id == case.id)))
        session.execute(
            update(Message)
            .where(Message.case_id == case.id)
            .values(case_id=target.id)
            .execution_options(synchronize_session=False)
        )
        case.status = CaseStatus.rejected
        case.reject_reason = RejectReason.duplicate
        if case.released_at is not None:
            bump_generation(session)
        stop_clock(case)
        withdraw_receipt(session, case)
        audit(session, actor, case, "merged", before, details={"into": target.number, "messages": moved})
        if target.status in (CaseStatus.answered, CaseStatus.closed):
            target.status = CaseStatus.reopened
            target.closed_at = None
            set_deadlines(session, target, start=utcnow())
        audit(
            session,
            actor,
            target,
            "merged_in",
            target_before,
            details={"from": case.number, "messages": moved},
            is_public=True,
        )
        if target.officer_id is not None:
            notify(
                session,
                target,
                target.officer_id,
                kind="follow_up",
                text=translate("ko", "notify.merged", number=target.number),
                key=case.number,
            )
    session.expire(target, ["messages"])
    return target


def merge_follow_up(session: Session, *, actor: Actor, case_id: int, into_case_id: int, by: str) -> Case:
    """The citizen wrote again about their open case: the new case's message joins that case as a follow-up,
    and the new case is hidden as a duplicate ("추가 글"), its receipt withdrawn. Returns the case joined.

    Triage does this when it recognises the same citizen adding to an open case (`by` names who decided). The
    case joined is open, so nothing reopens; staff merging two cases by hand use `merge`.
    """
    with atomic(session):
        case = load_case(session, actor, case_id)
        target = load_case(session, actor, into_case_id)
        if target.org_id != case.org_id or target.id == case.id:
            raise NotFound("no such case in this organisation")
        message = session.scalar(select(Message).where(Message.case_id == case.id).order_by(Message.id).limit(1))
        if message is None:
            raise InvalidInput(f"case {case.number} has no message to move")
        message.case_id = target.id
        record(
            session,
            actor=actor,
            action="case.follow_up",
            org_id=target.org_id,
            case_id=target.id,
            details={"message_id": message.id, "merged_from": case.number, "by": by},
            is_public=True,
        )
        # The officer learns of it as of any follow-up (triage did the joining, no citizen-facing bubble did).
        notify_follow_up(session, target, message)
        reject(session, actor=actor, case_id=case.id, reason=RejectReason.duplicate, note=f"추가 글: {target.number}")
    return target


def extend(session: Session, *, actor: Actor, case_id: int, value: int, unit: PeriodUnit, reason: str) -> Case:
    """The one extension a case may have: at most the original length, reason recorded, citizen notified."""
    if not reason.strip():
        raise InvalidInput("an extension needs a reason")
    with atomic(session):
        case = load_case(session, actor, case_id)
        if case.status not in EXTEND_SOURCES:
            raise IllegalTransition(f"cannot extend a case that is {case.status.value}")
        require_department_or_org_wide(actor, case.department_id, what="extend this case")
        if case.extended_at is not None:
            raise DeadlineError("this case has already been extended once; a further one needs the citizen's consent")
        calendar = sla.calendar_for(session, organisation(session, case.org_id))
        new_due = sla.extended_due(
            calendar,
            current_due=case.due_at,
            original_value=case.period_value,
            original_unit=case.period_unit,
            value=value,
            unit=unit,
        )
        before = snapshot(case)
        case.original_due_at = case.original_due_at or case.due_at
        case.due_at = new_due
        case.extended_at = utcnow()
        case.extension_reason = reason.strip()
        reset_escalation(case)
        audit(
            session,
            actor,
            case,
            "extended",
            before,
            details={"value": value, "unit": unit, "reason": case.extension_reason},
            is_public=True,
        )
        queue_to_citizen(
            session,
            case,
            kind="extension_notice",
            key="1",
            payload={"due_at": new_due.isoformat(), "reason": case.extension_reason},
        )
    return case


def rate(session: Session, *, case_number: str, token: str, score: int, comment: str | None = None) -> Case:
    """The citizen rates the answer (1-5), proving who they are with the token from their receipt."""
    if not 1 <= score <= 5:
        raise InvalidInput("a rating is between 1 and 5")
    with atomic(session):
        case = session.scalar(select(Case).where(Case.number == case_number))
        if case is None or not links.same_token(case.citizen_token, token):
            raise NotFound("no such case, or the token does not match")
        if case.status not in RATE_SOURCES:
            raise IllegalTransition(f"a case that is {case.status.value} cannot be rated yet")
        before = {"satisfaction": case.satisfaction}
        case.satisfaction = score
        case.satisfaction_comment = (comment or "").strip() or None
        record(
            session,
            actor=CITIZEN,
            action="case.rated",
            org_id=case.org_id,
            case_id=case.id,
            before=before,
            after={"satisfaction": score},
        )
    return case


def mark_first_response(session: Session, *, case_id: int, at: dt.datetime, wait: bool = True) -> bool:
    """Record when the citizen first heard back from a person (an answer or notice delivered); the outbox calls it.

    With `wait=False` a case another transaction holds (triage's batch) is left alone and False returned, for
    the caller to try again later; True once recorded, or when there was nothing to record.
    """
    with atomic(session):
        query = select(Case).where(Case.id == case_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(key_share=True, skip_locked=not wait)  # FOR NO KEY UPDATE
        case = session.scalar(query.execution_options(populate_existing=True))
        if case is None:  # held by another transaction (skipped), or no such case (nothing to record)
            return wait or session.get(Case, case_id) is None
        if case.first_responded_at is not None:
            return True
        case.first_responded_at = at
        record(
            session,
            actor=WORKER,
            action="case.first_response",
            org_id=case.org_id,
            case_id=case.id,
            after={"first_responded_at": at},
            is_public=True,
        )
    return True


def auto_assign(session: Session, *, case: Case) -> int | None:
    """Assign a case that just reached its department, if the department assigns automatically.

    Called by the routing actions inside their transaction; the assignment is an ordinary `assign` by the
    system (audited, the officer notified). Returns the officer's id, or None when nothing was assigned.
    """
    if case.department_id is None or case.officer_id is not None:
        return None
    policy = assignment.policy_of(session, case.department_id)
    if policy is assignment.AssignmentPolicy.none:
        return None
    officer_id = assignment.pick_officer(session, department_id=case.department_id)
    if officer_id is None:
        return None
    actor = Actor(kind="system", label=f"auto-assign ({policy.value})")
    assign(session, actor=actor, case_id=case.id, officer_id=officer_id)
    return officer_id
