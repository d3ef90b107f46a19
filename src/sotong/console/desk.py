"""What the SNS centre desk does to a case from the inbox, each built from the existing case and triage actions.

Every function here is one action: it runs inside one transaction (`atomic`; the actions it calls join it),
so a simple-opinion answer is triaged, answered and closed together or not at all. Permissions and legal
transitions are the called actions' own checks; the bulk runner applies one function per case and reports
each failure without stopping the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_role
from sotong.cases import actions as case_actions
from sotong.cases import service as case_service
from sotong.cases.models import Case, ComplaintType, RejectReason
from sotong.cases.status import TRANSITIONS
from sotong.db import atomic
from sotong.errors import InvalidInput, NotFound, SotongError
from sotong.orgs.models import Category
from sotong.triage import review as triage_review

MAX_BULK = 200
# Reasons the desk hides a message for; duplicates go through merge, which names the case they repeat.
HIDE_REASONS = (RejectReason.spam, RejectReason.abuse, RejectReason.advertising, RejectReason.not_relevant)
THANK_YOU = (
    "소중한 의견 감사합니다. 보내주신 말씀은 관련 부서와 공유하여 구정 운영에 참고하겠습니다. "
    "앞으로도 많은 관심 부탁드립니다."
)


def _desk(actor: Actor, what: str) -> None:
    require_role(actor, Role.admin, Role.operator, what=what)


def route(session: Session, *, actor: Actor, case_id: int, department_id: int, reason: str = "") -> Case:
    """Send a case to a department: a case at the desk is triaged there (a correction, labelled for training);
    a case a department already works on is transferred (이송) with the reason."""
    _desk(actor, "route cases from the inbox")
    with atomic(session):
        case = session.get(Case, case_id, populate_existing=True)
        if case is None:
            raise NotFound(f"no case {case_id}")
        if case.status in TRANSITIONS["triage"].sources:
            suggestion = triage_review.latest_result(session, case.id)
            complaint_type = case.complaint_type
            if case.triaged_at is None and suggestion is not None:
                complaint_type = ComplaintType(suggestion.complaint_type)
            category_id = case.category_id or (suggestion.category_id if suggestion is not None else None)
            category = session.get(Category, category_id) if category_id else None
            # A category of another department would pull the case back there: keep it only if it fits.
            keep = category is not None and category.department_id in (None, department_id)
            triage_review.review(
                session,
                actor=actor,
                case_id=case.id,
                relevant=True,
                complaint_type=complaint_type,
                category_id=category.id if keep and category is not None else None,
                department_id=department_id,
            )
        else:
            case_actions.transfer_to_department(
                session,
                actor=actor,
                case_id=case.id,
                department_id=department_id,
                reason=reason.strip() or "SNS 센터 재분류",
            )
    return case


def simple_opinion(session: Session, *, actor: Actor, case_id: int, body: str = THANK_YOU) -> Case:
    """단순의견: classify as an opinion, answer with a thank-you (queued on the citizen's channel) and close."""
    _desk(actor, "answer simple opinions")
    if not body.strip():
        raise InvalidInput("the thank-you answer is empty")
    with atomic(session):
        case = session.get(Case, case_id, populate_existing=True)
        if case is None:
            raise NotFound(f"no case {case_id}")
        if case.status in TRANSITIONS["triage"].sources:
            case_actions.triage(
                session,
                actor=actor,
                case_id=case.id,
                complaint_type=ComplaintType.opinion,
                category_id=case.category_id,
                department_id=case.department_id,
            )
        case_actions.answer(session, actor=actor, case_id=case.id, body=body.strip())
        case_actions.close(session, actor=actor, case_id=case.id)
    return case


def hide(session: Session, *, actor: Actor, case_id: int, reason: RejectReason, note: str = "") -> Case:
    """숨김 as spam, abuse, advertising or not relevant: kept with its reason, never deleted, nothing sent."""
    if reason not in HIDE_REASONS:
        raise InvalidInput(f"the desk hides for {', '.join(r.value for r in HIDE_REASONS)}; use merge for duplicates")
    return case_actions.reject(session, actor=actor, case_id=case_id, reason=reason, note=note.strip())


def merge_into(session: Session, *, actor: Actor, case_id: int, into_case_id: int) -> Case:
    """병합: the case's messages join the case it repeats; it is hidden as a duplicate."""
    return case_actions.merge(session, actor=actor, case_id=case_id, into_case_id=into_case_id)


@dataclass(frozen=True)
class ItemResult:
    number: str
    ok: bool
    case_id: int | None = None
    error: str | None = None
    code: str | None = None


def run_bulk(
    session: Session, *, actor: Actor, numbers: Sequence[str], apply: Callable[[Case], object]
) -> list[ItemResult]:
    """Apply one per-case action to each selected case, each in its own transaction.

    A case the actor may not see is reported as not found; an illegal transition or any other refusal is
    reported for that case alone and the rest carry on (each action rolled back only its own work).
    """
    unique = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    if not unique:
        raise InvalidInput("select at least one case")
    if len(unique) > MAX_BULK:
        raise InvalidInput(f"at most {MAX_BULK} cases at once")
    results = []
    for number in unique:
        case_id: int | None = None
        try:
            case = case_service.get_case_by_number(session, actor=actor, number=number)
            case_id = case.id
            apply(case)
        except SotongError as exc:
            results.append(ItemResult(number=number, ok=False, case_id=case_id, error=exc.message, code=exc.code))
            continue
        results.append(ItemResult(number=number, ok=True, case_id=case_id))
    return results
