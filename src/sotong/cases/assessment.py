"""What intake asks triage before a case's receipt goes out: is this a complaint, and of which statutory type?

Triage stands above cases, so intake cannot import it: triage registers its assessor here at start-up
(sotong/wiring.py). Intake then opens a complaint with the type's statutory deadline and the receipt that states
it, and answers chatter (a greeting, praise, a joke) with the organisation's chosen reply instead of a "접수"
receipt, hiding it before it could reach a department or the public list. Without an assessor (or when it
fails) intake opens every message as a complaint of type 기타, and the worker's triage pass decides later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sotong.cases.models import ComplaintType

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Assessment:
    relevant: bool  # a matter for the administration (complaint, question, suggestion, report)
    complaint_type: ComplaintType
    explanation: str  # why, for the audit event and the operator


@dataclass(frozen=True)
class Submitted:
    text: str
    has_photo: bool = False
    category_hint: str | None = None  # the citizen's own 분야 choice (the web form), a category code


# (session, organisation id, messages) -> one assessment per message
Assessor = Callable[[Session, int, Sequence[Submitted]], list[Assessment]]

_assessor: list[Assessor] = []


def register(assessor: Assessor) -> None:
    """Set the assessor intake calls (triage's, at start-up); registering again replaces it."""
    _assessor[:] = [assessor]


def assess(session: Session, org_id: int, items: Sequence[Submitted]) -> list[Assessment] | None:
    """The assessment of each message, or None when there is no assessor or it failed (intake then treats
    every message as a complaint: a receipt is never withheld because triage could not run)."""
    if not _assessor or not items:
        return None
    try:
        assessments = _assessor[0](session, org_id, items)
    except Exception:  # a message must be taken in whatever happens to the model
        log.exception("intake: triage could not assess %d message(s); treated as complaints", len(items))
        return None
    return assessments if len(assessments) == len(items) else None
