"""Operators reviewing the automatic triage: confirm it or correct it, in one action that routes the case
through the case actions and keeps the decision as a training label (source "operator") for the next model.

`harvest_labels` collects labels in bulk from cases staff triaged or hid; a review writes its label at once, and
harvesting skips a case that already has one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_case_visible, require_role
from sotong.audit.models import AuditEvent
from sotong.audit.service import record
from sotong.cases import actions as case_actions
from sotong.cases.models import Case, CaseStatus, ComplaintType, RejectReason
from sotong.db import atomic, utcnow
from sotong.errors import InvalidInput, NotFound
from sotong.orgs.models import Category, Department
from sotong.triage.models import TriageLabel, TriageResult


def latest_result(session: Session, case_id: int) -> TriageResult | None:
    """The newest triage decision stored for a case (a follow-up or a re-run adds another)."""
    query = select(TriageResult).where(TriageResult.case_id == case_id).order_by(TriageResult.id.desc()).limit(1)
    return session.scalar(query)


def _suggestion(result: TriageResult | None) -> dict[str, Any]:
    if result is None:
        return {}
    return {
        "relevant": result.relevant,
        "complaint_type": result.complaint_type,
        "category_id": result.category_id,
        "department_id": result.department_id,
    }


def review(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    relevant: bool,
    complaint_type: ComplaintType,
    category_id: int | None = None,
    department_id: int | None = None,
) -> TriageLabel:
    """An operator confirms or corrects the automatic triage of a case, in one transaction.

    A relevant case is routed through `cases.actions.triage` (type, category, department); one that is not
    administration-related is hidden as `not_relevant` (kept) through `cases.actions.reject`. Either way the
    operator's decision becomes the case's training label (source "operator", one per case: a second review
    replaces it) and is audited as "triage.confirmed" or "triage.corrected" against the stored suggestion.
    """
    require_role(actor, Role.admin, Role.operator, what="review triage")
    with atomic(session):
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"no case {case_id}")
        require_case_visible(actor, org_id=case.org_id, department_id=case.department_id)
        result = latest_result(session, case.id)
        if relevant and category_id is not None and department_id is not None:
            chosen = session.get(Category, category_id)
            # The label would teach the model a category in the wrong department: refuse rather than guess.
            if chosen is not None and chosen.department_id not in (None, department_id):
                raise InvalidInput(f"the category {chosen.name} belongs to another department: choose one of them")
        if relevant:
            case_actions.triage(
                session,
                actor=actor,
                case_id=case.id,
                complaint_type=complaint_type,
                category_id=category_id,
                department_id=department_id,
            )
        else:
            case_actions.reject(
                session,
                actor=actor,
                case_id=case.id,
                reason=RejectReason.not_relevant,
                note="운영자 확인: 행정 관련 아님",
            )
        # What was actually decided: the triage action may have taken the department from the category.
        decided = {
            "relevant": relevant,
            "complaint_type": complaint_type.value,
            "category_id": case.category_id if relevant else None,
            "department_id": case.department_id if relevant else None,
        }
        suggestion = _suggestion(result)
        corrected = result is None or any(suggestion.get(k) != v for k, v in decided.items())
        category = session.get(Category, case.category_id) if relevant and case.category_id else None
        department = session.get(Department, case.department_id) if relevant and case.department_id else None
        label = session.scalar(select(TriageLabel).where(TriageLabel.case_id == case.id))
        if label is None:
            label = TriageLabel(org_id=case.org_id, case_id=case.id, source="operator")
            session.add(label)
        label.text = case.body
        label.relevant = relevant
        # The model's label space: a category code where there is one, else the department's name (as harvest).
        label.category_code = category.code if category else (department.name if department else None)
        label.department_id = department.id if department else None
        label.complaint_type = complaint_type.value if relevant else None
        label.source = "operator"
        label.created_by_id = actor.user_id
        label.created_at = utcnow()
        session.flush()
        record(
            session,
            actor=actor,
            action="triage.corrected" if corrected else "triage.confirmed",
            org_id=case.org_id,
            case_id=case.id,
            before=suggestion or None,
            after=decided,
            details={"triage_result_id": result.id if result else None, "label_id": label.id},
        )
    return label


def confirm(session: Session, *, actor: Actor, case_id: int, department_id: int | None = None) -> TriageLabel:
    """Accept the stored automatic triage of a case (see `review`). A complaint the suggestion names no
    department for needs one (`department_id`): confirmed without, it would sit in 분류 in nobody's queue."""
    require_role(actor, Role.admin, Role.operator, what="review triage")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    require_case_visible(actor, org_id=case.org_id, department_id=case.department_id)
    result = latest_result(session, case.id)
    if result is None:
        raise InvalidInput("this case has no automatic triage yet: correct it instead")
    department = department_id or result.department_id
    if result.relevant and department is None:
        raise InvalidInput(
            "the suggestion names no department: choose the department to send the case to",
            field="department_id",
            code="department_required",
        )
    category_id = result.category_id
    if category_id is not None and department_id is not None:
        category = session.get(Category, category_id)
        if category is not None and category.department_id not in (None, department_id):
            category_id = None  # the operator chose another department than the category's: keep their choice
    return review(
        session,
        actor=actor,
        case_id=case.id,
        relevant=result.relevant,
        complaint_type=ComplaintType(result.complaint_type),
        category_id=category_id,
        department_id=department,
    )


def harvest_labels(session: Session, *, actor: Actor, org_id: int) -> int:
    """Turn cases that staff triaged (confirmed or corrected) into training labels; returns how many are new."""
    with atomic(session):
        triaged_by_staff = (
            select(AuditEvent.case_id)
            .where(AuditEvent.org_id == org_id, AuditEvent.action == "case.triaged", AuditEvent.actor_kind == "user")
            .distinct()
        )
        labelled = select(TriageLabel.case_id).where(TriageLabel.org_id == org_id, TriageLabel.case_id.is_not(None))
        cases = session.scalars(
            select(Case).where(Case.id.in_(triaged_by_staff), Case.id.not_in(labelled), Case.department_id.is_not(None))
        )
        count = 0
        for case in cases:
            category = session.get(Category, case.category_id) if case.category_id else None
            department = session.get(Department, case.department_id) if case.department_id else None
            session.add(
                TriageLabel(
                    org_id=org_id,
                    case_id=case.id,
                    text=case.body,
                    relevant=True,
                    category_code=category.code if category else (department.name if department else None),
                    department_id=case.department_id,
                    complaint_type=case.complaint_type.value,
                    source="operator",
                    created_at=utcnow(),
                )
            )
            count += 1
        for case in session.scalars(
            select(Case).where(
                Case.org_id == org_id,
                Case.status == CaseStatus.rejected,
                Case.reject_reason.in_([RejectReason.not_relevant, RejectReason.spam, RejectReason.advertising]),
                Case.id.not_in(labelled),
            )
        ):
            session.add(TriageLabel(org_id=org_id, case_id=case.id, text=case.body, relevant=False, source="operator"))
            count += 1
        if count:
            record(session, actor=actor, action="triage.labels_harvested", org_id=org_id, details={"count": count})
    return count
