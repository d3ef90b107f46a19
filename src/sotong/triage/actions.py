"""Triage's decision: decide each new case and act on the decision (routing rules: rule_actions.py; operators'
reviews and labels: review.py).

Above the organisation's `auto_route_threshold` (or when a rule decides) the case is routed through
`cases.actions.triage` with the system actor, exactly as an operator would; below it the case waits at the desk
with the stored top-3 candidates. Every decision is kept in `triage_results` with who made it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from sotong.actors import SYSTEM, Actor, same_org
from sotong.audit.service import record
from sotong.cases import actions as case_actions
from sotong.cases.models import Case, CaseStatus, ComplaintType, Message
from sotong.cases.status import OPEN_STATUSES
from sotong.db import atomic
from sotong.errors import NotFound, SotongError
from sotong.orgs.models import Category, Department, Organisation
from sotong.triage import model_store
from sotong.triage.assess import citizen_choice, statutory_type
from sotong.triage.duplicates import FOLLOW_UP, SAME_TOPIC, DuplicateIndex, OpenCase, Policy
from sotong.triage.models import TriageResult
from sotong.triage.rules import rules_for
from sotong.triage.service import Decision, Incoming, decide_batch

ROUTABLE = frozenset({CaseStatus.received, CaseStatus.reopened})
OPEN_CASES_LIMIT = 5000
PENDING_BATCH = 100  # cases per worker pass: one model call, one transaction

log = logging.getLogger(__name__)


def _open_cases(session: Session, org_id: int, since: dt.datetime, exclude: int | None = None) -> list[OpenCase]:
    query = select(Case.id, Case.body, Case.received_at, Case.author_handle, Case.latitude, Case.longitude).where(
        Case.org_id == org_id, Case.status.in_(OPEN_STATUSES), Case.received_at >= since
    )
    if exclude is not None:
        query = query.where(Case.id != exclude)
    rows = session.execute(query.order_by(Case.received_at.desc()).limit(OPEN_CASES_LIMIT))
    return [OpenCase(r.id, r.body, r.received_at, r.author_handle, r.latitude, r.longitude) for r in rows]


def _resolve(session: Session, org_id: int, label: str) -> tuple[int | None, int | None]:
    """A model label as (category, department) of this organisation: its category of that code, else its
    category mapped onto that standard code (the seed model predicts standard codes), else a department name."""
    category = session.scalar(select(Category).where(Category.org_id == org_id, Category.code == label))
    if category is None:
        category = session.scalar(
            select(Category)
            .where(Category.org_id == org_id, Category.standard_code == label)
            .order_by(Category.id)
            .limit(1)
        )
    if category is not None:
        return category.id, category.department_id
    department = session.scalar(select(Department).where(Department.org_id == org_id, Department.name == label))
    return None, department.id if department else None


def triage_case(session: Session, *, case_id: int, actor: Actor = SYSTEM) -> TriageResult:
    """Run triage on a case, store the decision, and route it when a rule or a confident model decides."""
    with atomic(session):
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"no case {case_id}")
        same_org(actor, case.org_id)
        return _triage_cases(session, [case], actor=actor, single=True)[0]


def triage_new_case(session: Session, *, case_id: int) -> TriageResult | None:
    """Triage a case just opened, at once, as the worker would a moment later: a page that took the complaint in
    (the web form) can then tell the citizen what became of it (added to their open case, say). None when the
    case is no longer waiting for triage, or a worker has it or has decided it already.

    The case row is locked like the worker's claim (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so the two never
    decide the same case twice.
    """
    with atomic(session):
        claimed = _claim_pending(session, limit=1, ids=[case_id])
        return _triage_cases(session, claimed, actor=SYSTEM, single=True)[0] if claimed else None


def triage_pending(session_factory: Callable[[], Session], *, limit: int = PENDING_BATCH) -> int:
    """Triage received cases that have no triage result yet, one batch; returns how many were triaged.

    Run by the background worker. The cases are locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL) for the
    whole transaction, so workers side by side each take different cases; the model is loaded only when
    there is something to triage.
    """
    ids: list[int] = []
    with session_factory() as session:
        try:
            with atomic(session):
                cases = _claim_pending(session, limit=limit)
                if not cases:
                    return 0
                ids = [case.id for case in cases]
                return len(_triage_cases(session, cases, actor=SYSTEM))
        except SotongError:
            log.exception("triage: a case spoilt the batch; triaging them one by one")
        # One transaction per case, so only the case that cannot be routed is left unrouted (with its result
        # stored, or it would be retried on every pass).
        done = 0
        for case_id in ids:
            try:
                with atomic(session):
                    done += len(_triage_cases(session, _claim_pending(session, limit=1, ids=[case_id]), actor=SYSTEM))
            except SotongError:
                log.exception("triage: case %s could not be routed; its decision is stored for an operator", case_id)
                with atomic(session):
                    cases = _claim_pending(session, limit=1, ids=[case_id])
                    done += len(_triage_cases(session, cases, actor=SYSTEM, act=False))
        return done


def _claim_pending(session: Session, *, limit: int, ids: Sequence[int] | None = None) -> list[Case]:
    """Received cases without a triage result, locked for this transaction on PostgreSQL (skipping taken ones)."""
    triaged = select(TriageResult.id).where(TriageResult.case_id == Case.id)
    # The literal matches the partial index ix_cases_received (a bound parameter would not, in a generic plan).
    query = select(Case.id).where(text("cases.status = 'received'"), ~triaged.exists())
    if ids is not None:
        query = query.where(Case.id.in_(ids))
    query = query.order_by(Case.id).limit(limit)
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        query = query.with_for_update(skip_locked=True, of=Case)
    claimed = list(session.scalars(query))
    if postgresql and claimed:
        # A worker that committed between our snapshot and our lock left its results behind: read them again.
        done = set(session.scalars(select(TriageResult.case_id).where(TriageResult.case_id.in_(claimed))))
        claimed = [case_id for case_id in claimed if case_id not in done]
    if not claimed:
        return []
    return list(session.scalars(select(Case).where(Case.id.in_(claimed)).order_by(Case.id)))


def _triage_cases(
    session: Session, cases: Sequence[Case], *, actor: Actor, single: bool = False, act: bool = True
) -> list[TriageResult]:
    """Decide a batch of cases (one model pass per organisation), store each result and act on it."""
    messages: dict[int, list[Message]] = defaultdict(list)
    for row in session.scalars(select(Message).where(Message.case_id.in_([c.id for c in cases])).order_by(Message.id)):
        assert row.case_id is not None
        messages[row.case_id].append(row)
    by_org: dict[int, list[Case]] = defaultdict(list)
    for case in cases:
        by_org[case.org_id].append(case)
    results: dict[int, TriageResult] = {}
    policy = Policy()
    for org_id, org_cases in by_org.items():
        org = session.get(Organisation, org_id)
        assert org is not None
        model, version = model_store.active_model(session, org.id)
        since = min(c.received_at for c in org_cases) - policy.follow_up_window
        # Cases of the same batch stay in the index: two citizens reporting one thing a minute apart link.
        index = DuplicateIndex(_open_cases(session, org.id, since, org_cases[0].id if single else None), policy)
        # The 분야 the citizen chose on the form (its first message's), a feature of the decision.
        choices = {case.id: citizen_choice(session, org.id, _category_hint(messages[case.id])) for case in org_cases}
        incoming = [
            Incoming(
                hint=choices[case.id][0],
                text=_complaint_text(case, messages[case.id]),
                received_at=case.received_at,
                channel_account_id=case.channel_account_id,
                author_handle=case.author_handle,
                address=case.address,
                latitude=case.latitude,
                longitude=case.longitude,
                case_id=case.id,
            )
            for case in org_cases
        ]
        decisions = decide_batch(model, incoming, rules=rules_for(session, org.id), index=index)
        for case, decision in zip(org_cases, decisions, strict=True):
            case_messages = messages[case.id]
            message = case_messages[-1] if case_messages else None
            result = _result(session, case, message, decision, model_store.label(version), version)
            if choices[case.id][1]:
                result.explanation += f"; 시민 선택 분야: {choices[case.id][1]}"
            session.add(result)
            if act:
                _act(session, case, message, decision, result, org.auto_route_threshold, len(case_messages))
                # Administration-related: published without review when the organisation allows it and the
                # masker is sure of everything it found; otherwise it waits in 공개 검토.
                if result.relevant and case_actions.auto_release(session, case_id=case.id):
                    result.explanation += "; 자동 공개"
            else:
                result.explanation += "; 자동 처리 실패: 운영자 확인 대기"
            session.flush()
            record(
                session,
                actor=actor,
                action="triage.decided",
                org_id=case.org_id,
                case_id=case.id,
                details={
                    "decided_by": result.decided_by,
                    "explanation": result.explanation,
                    "confidence": result.confidence,
                    "auto_routed": result.auto_routed,
                    "candidates": result.candidates,
                },
            )
            results[case.id] = result
    return [results[case.id] for case in cases]


def _complaint_text(case: Case, case_messages: Sequence[Message]) -> str:
    """What triage reads: the complaint as the case opened with it (a chat's bubbles joined), not the latest
    message: a follow-up the citizen wrote before the worker's pass ("어제도 그대로였어요") says little about
    where the case belongs. A case opened by a photo alone has no words; its latest message may have some."""
    if case.body.strip():
        return case.body
    return case_messages[-1].text if case_messages else case.body


def _category_hint(case_messages: Sequence[Message]) -> str | None:
    raw = case_messages[0].raw if case_messages else None
    hint = raw.get("category_hint") if isinstance(raw, dict) else None
    return str(hint) if hint else None


def _result(
    session: Session,
    case: Case,
    message: Message | None,
    decision: Decision,
    model_label: str,
    version: Any,
) -> TriageResult:
    prediction = decision.prediction
    candidates: list[dict[str, Any]] = []
    for candidate in prediction.candidates:
        category_id, department_id = _resolve(session, case.org_id, candidate.label)
        candidates.append(
            {
                "code": candidate.label,
                "category_id": category_id,
                "department_id": department_id,
                "confidence": candidate.confidence,
            }
        )
    top = candidates[0] if candidates else {}
    type_guess = prediction.type_guess
    # The same type intake's first look gave the receipt (assess.py): the deadline does not move behind it.
    complaint_type, cue = statutory_type(prediction)
    result = TriageResult(
        org_id=case.org_id,
        case_id=case.id,
        message_id=message.id if message else None,
        relevant=prediction.relevance.relevant,
        relevance_probability=round(prediction.relevance.probability, 4),
        complaint_type=complaint_type.value,
        type_confidence=type_guess.confidence,
        candidates=candidates,
        category_id=top.get("category_id"),
        department_id=top.get("department_id"),
        confidence=float(top.get("confidence", 0.0)),
        decided_by=model_label,
        explanation=(
            f"{model_label}: {top.get('code', '-')} {float(top.get('confidence', 0.0)):.0%}; "
            f"유형 {complaint_type.value} ({cue}); "
            f"관련성 {prediction.relevance.probability:.0%} ({prediction.relevance.decided_by})"
        ),
        model_id=version.id if version is not None else None,
        auto_routed=False,
    )
    if decision.duplicate is not None:
        result.duplicate_of_case_id = decision.duplicate.case_id
        result.duplicate_kind = decision.duplicate.kind
        result.duplicate_score = decision.duplicate.score
    if decision.rule is not None:
        rule = decision.rule
        result.rule_id = rule.rule_id
        result.decided_by = f"rule {rule.rule_id} ({rule.rule_name})"
        result.explanation = f"{rule.explanation}; {result.explanation}"
        # The rule's own target only: the model's category might belong to another department.
        result.category_id = rule.category_id
        result.department_id = rule.department_id
        if rule.category_id and not rule.department_id:
            category = session.get(Category, rule.category_id)
            result.department_id = category.department_id if category else None
        result.target_org_id = rule.target_org_id
        result.confidence = 1.0
    return result


def _act(
    session: Session,
    case: Case,
    message: Message | None,
    decision: Decision,
    result: TriageResult,
    threshold: float,
    n_messages: int,
) -> None:
    if case.status not in ROUTABLE:
        return  # already handled by a person: triage only records its opinion
    duplicate = decision.duplicate
    if duplicate is not None and duplicate.kind == FOLLOW_UP and message is not None and n_messages == 1:
        _merge_follow_up(session, case, duplicate.case_id, result)
        return
    rule = decision.rule
    complaint_type = ComplaintType(result.complaint_type)
    if rule is not None:
        if rule.complaint_type:
            complaint_type = ComplaintType(rule.complaint_type)
            result.complaint_type = complaint_type.value
        if rule.target_org_id is not None and rule.target_org_id != case.org_id:
            case_actions.transfer_to_organisation(
                session, actor=SYSTEM, case_id=case.id, target_org_id=rule.target_org_id, reason=rule.explanation
            )
            result.auto_routed = True
            return
        if result.department_id is None and result.category_id is None:
            return
        _route(session, case, result, complaint_type)
        return
    if not result.relevant:
        result.explanation += "; 행정 관련 아님: 담당 부서로 보내지 않고 안내 답변 대기"
        return
    if duplicate is not None and duplicate.kind == SAME_TOPIC:
        primary = session.get(Case, duplicate.case_id)
        if primary is not None and primary.department_id is not None:
            result.category_id, result.department_id = primary.category_id, primary.department_id
            result.decided_by = f"duplicate of {primary.number}"
            result.explanation = f"{duplicate.explanation} → {primary.number}와 같은 부서; {result.explanation}"
            result.confidence = max(result.confidence, duplicate.score)
            _route(session, case, result, complaint_type)
            return
    if result.confidence >= threshold and result.department_id is not None:
        _route(session, case, result, complaint_type)
    else:
        result.explanation += f"; {_why_not_routed(session, result, threshold)}: 운영자 확인 대기"


def _why_not_routed(session: Session, result: TriageResult, threshold: float) -> str:
    """The true reason a case waits at the desk: no category of this code, a category without a department, or
    a confidence below the threshold (only the last is about confidence)."""
    top = result.candidates[0] if result.candidates else None
    if top is None:
        return "분류 모델 없음"
    if result.category_id is None and result.department_id is None:
        return f"'{top['code']}'에 해당하는 분야가 이 기관에 없음 (관리 > 라우팅에서 표준 분류에 분야를 연결)"
    if result.department_id is None:
        category = session.get(Category, result.category_id)
        return f"분야 '{category.name if category else top['code']}'에 담당 부서가 지정되지 않음"
    return f"신뢰도 {result.confidence:.0%} < 기준 {threshold:.0%}"


def _route(session: Session, case: Case, result: TriageResult, complaint_type: ComplaintType) -> None:
    case_actions.triage(
        session,
        actor=SYSTEM,
        case_id=case.id,
        complaint_type=complaint_type,
        category_id=result.category_id,
        department_id=result.department_id,
    )
    result.auto_routed = True


def _merge_follow_up(session: Session, case: Case, parent_id: int, result: TriageResult) -> None:
    """The citizen wrote again about an open case: the message joins that case, this one is closed as duplicate."""
    parent = case_actions.merge_follow_up(session, actor=SYSTEM, case_id=case.id, into_case_id=parent_id, by="triage")
    result.decided_by = f"follow-up of {parent.number}"
    result.explanation = f"같은 시민의 추가 글 → {parent.number}; {result.explanation}"
