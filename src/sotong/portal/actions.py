"""Staff curating the "best answers" showcase: one action each way, audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_case_visible, require_role
from sotong.audit.service import record
from sotong.cases.models import Case, CaseStatus
from sotong.cases.service import publicly_listed
from sotong.db import atomic
from sotong.errors import IllegalTransition, NotFound
from sotong.portal.models import ShowcaseEntry

CURATORS = (Role.admin, Role.operator, Role.dept_manager)
MAX_NOTE = 500


def set_showcase(session: Session, *, actor: Actor, case_id: int, on: bool, note: str | None = None) -> Case:
    """Put an answered public case in the showcase (with why it is a good example), or take it out."""
    with atomic(session):
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"no case {case_id}")
        require_case_visible(actor, org_id=case.org_id, department_id=case.department_id)
        require_role(actor, *CURATORS, what="curate the best answers")
        entry = session.get(ShowcaseEntry, case.id)
        if on:
            listed = session.scalar(publicly_listed().where(Case.id == case.id).with_only_columns(Case.id))
            if listed is None:
                raise IllegalTransition("only a public case can be shown to the public")
            if case.status not in (CaseStatus.answered, CaseStatus.closed):
                raise IllegalTransition("only an answered case can be a best answer")
            clean = (note or "").strip()[:MAX_NOTE] or None
            if entry is None:
                session.add(ShowcaseEntry(case_id=case.id, org_id=case.org_id, note=clean, curated_by_id=actor.user_id))
            else:
                entry.note = clean
        elif entry is not None:
            session.delete(entry)
        else:
            return case  # nothing to take out: no event
        record(
            session,
            actor=actor,
            action="case.showcased" if on else "case.unshowcased",
            org_id=case.org_id,
            case_id=case.id,
            details={"note": (note or "").strip()[:MAX_NOTE]} if on else None,
        )
    return case
