"""The staff actions on a case as data: each name, its typed input and the one action function it calls.

The JSON API and the console's forms both dispatch through this table, so they cannot drift apart. Who may
run what is decided by the action functions; `available` only predicts it, to show the right forms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role
from sotong.cases import actions, service
from sotong.cases.models import Case
from sotong.cases.schemas import (
    AnswerIn,
    AssignIn,
    ExtendIn,
    HoldIn,
    MergeIn,
    RejectIn,
    ReopenIn,
    TransferDepartmentIn,
    TransferOrganisationIn,
    TriageIn,
)
from sotong.cases.status import EXTEND_SOURCES, TRANSITIONS
from sotong.orgs.service import organisation_by_slug


@dataclass(frozen=True)
class Outcome:
    new_case_number: str | None = None
    answer_id: int | None = None


Runner = Callable[[Session, Actor, Case, Any], Outcome]

_DESK = frozenset({Role.admin, Role.operator})
_WORKERS = frozenset({Role.admin, Role.operator, Role.dept_manager, Role.officer})


@dataclass(frozen=True)
class Command:
    name: str
    schema: type[BaseModel] | None
    run: Runner
    roles: frozenset[Role]
    summary: str


def _triage(session: Session, actor: Actor, case: Case, body: TriageIn) -> Outcome:
    values = body.model_dump()
    values["public_text"] = values["public_text"] or None  # an empty box keeps the masked text as it is
    actions.triage(session, actor=actor, case_id=case.id, **values)
    return Outcome()


def _assign(session: Session, actor: Actor, case: Case, body: AssignIn) -> Outcome:
    actions.assign(session, actor=actor, case_id=case.id, officer_id=body.officer_id)
    return Outcome()


def _start(session: Session, actor: Actor, case: Case, body: None) -> Outcome:
    actions.start_work(session, actor=actor, case_id=case.id)
    return Outcome()


def _hold(session: Session, actor: Actor, case: Case, body: HoldIn) -> Outcome:
    actions.hold(session, actor=actor, case_id=case.id, reason=body.reason, until=body.until)
    return Outcome()


def _resume(session: Session, actor: Actor, case: Case, body: None) -> Outcome:
    actions.resume(session, actor=actor, case_id=case.id)
    return Outcome()


def _transfer_department(session: Session, actor: Actor, case: Case, body: TransferDepartmentIn) -> Outcome:
    actions.transfer_to_department(
        session, actor=actor, case_id=case.id, department_id=body.department_id, reason=body.reason
    )
    return Outcome()


def _transfer_organisation(session: Session, actor: Actor, case: Case, body: TransferOrganisationIn) -> Outcome:
    target = organisation_by_slug(session, body.organisation)
    new_case = actions.transfer_to_organisation(
        session, actor=actor, case_id=case.id, target_org_id=target.id, reason=body.reason
    )
    return Outcome(new_case_number=new_case.number)


def _answer(session: Session, actor: Actor, case: Case, body: AnswerIn) -> Outcome:
    # Through the standard-answer check, like the answer form: a template's [[slot]] left standing is refused
    # here too, so an answer pasted into the API or the plain form cannot reach a citizen half-written.
    reply = actions.answer(session, actor=actor, case_id=case.id, body=body.body, public_body=body.public_body or None)
    return Outcome(answer_id=reply.id)


def _close(session: Session, actor: Actor, case: Case, body: None) -> Outcome:
    actions.close(session, actor=actor, case_id=case.id)
    return Outcome()


def _reopen(session: Session, actor: Actor, case: Case, body: ReopenIn) -> Outcome:
    actions.reopen(session, actor=actor, case_id=case.id, reason=body.reason)
    return Outcome()


def _reject(session: Session, actor: Actor, case: Case, body: RejectIn) -> Outcome:
    actions.reject(session, actor=actor, case_id=case.id, reason=body.reason, note=body.note)
    return Outcome()


def _restore(session: Session, actor: Actor, case: Case, body: None) -> Outcome:
    actions.restore(session, actor=actor, case_id=case.id)
    return Outcome()


def _merge(session: Session, actor: Actor, case: Case, body: MergeIn) -> Outcome:
    target = service.get_case_by_number(session, actor=actor, number=body.into.strip())
    actions.merge(session, actor=actor, case_id=case.id, into_case_id=target.id)
    return Outcome(new_case_number=target.number)


def _extend(session: Session, actor: Actor, case: Case, body: ExtendIn) -> Outcome:
    actions.extend(session, actor=actor, case_id=case.id, value=body.value, unit=body.unit, reason=body.reason)
    return Outcome()


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("triage", TriageIn, _triage, _DESK, "Triage: set type, category, department (분류)"),
        Command("assign", AssignIn, _assign, _WORKERS, "Assign to an officer of the case's department (배정)"),
        Command("start", None, _start, _WORKERS, "Start work (처리중)"),
        Command("hold", HoldIn, _hold, _WORKERS, "Put on hold with a reason (보류)"),
        Command("resume", None, _resume, _WORKERS, "Resume after a hold"),
        Command(
            "transfer_department",
            TransferDepartmentIn,
            _transfer_department,
            _WORKERS,
            "Transfer to another department (이송)",
        ),
        Command(
            "transfer_organisation",
            TransferOrganisationIn,
            _transfer_organisation,
            frozenset({Role.admin, Role.operator, Role.dept_manager}),
            "Transfer to the competent organisation (이송/이첩): a new case there",
        ),
        Command("answer", AnswerIn, _answer, _WORKERS, "Answer the citizen (답변)"),
        Command("close", None, _close, _WORKERS, "Close an answered case (종결)"),
        Command("reopen", ReopenIn, _reopen, _WORKERS, "Reopen for a follow-up question (재문의)"),
        Command("reject", RejectIn, _reject, _DESK, "Hide spam, abuse or advertising (숨김)"),
        Command("restore", None, _restore, _DESK, "Restore a wrongly hidden case"),
        Command("merge", MergeIn, _merge, _DESK, "Merge a duplicate into the case it repeats (병합)"),
        Command("extend", ExtendIn, _extend, _WORKERS, "Extend the deadline once, with a reason (연장)"),
    )
}


def available(actor: Actor, case: Case) -> list[str]:
    """The commands this actor can expect to run on the case in its current status."""
    if not actor.is_staff or actor.role is None:
        return []
    department_scoped = actor.role in (Role.dept_manager, Role.officer)
    if department_scoped and (case.department_id is None or case.department_id != actor.department_id):
        return []
    names = []
    for name, command in COMMANDS.items():
        if actor.role not in command.roles:
            continue
        if name == "extend":
            allowed = case.status in EXTEND_SOURCES and case.extended_at is None
        else:
            allowed = case.status in TRANSITIONS[name].sources
        if allowed:
            names.append(name)
    return names
