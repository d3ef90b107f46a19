"""Triage's first look, inside intake: is the message a complaint, and of which statutory type?

Registered as intake's assessor (cases/assessment.py, by sotong/wiring.py), so the receipt states the deadline of
the complaint's type and chatter is never opened as a complaint. The same model and the same rule as the worker's
triage pass (actions.py), which then picks the category and department, duplicates and follow-ups.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.assessment import Assessment, Submitted
from sotong.cases.models import ComplaintType
from sotong.orgs.models import Category
from sotong.orgs.taxonomy import standard_category
from sotong.triage import model_store
from sotong.triage.classify import prepare
from sotong.triage.pipeline import Prediction

# A category this likely decides the type when the writing names none ("건의", "문의" ...).
TYPE_FROM_CATEGORY = 0.5


def statutory_type(prediction: Prediction) -> tuple[ComplaintType, str]:
    """The complaint type and why: the writing's own cue first, else the usual type of a likely standard category
    (orgs/taxonomy.tsv: a welfare question is 질의), else 기타."""
    guess = prediction.type_guess
    if guess.cue:
        return guess.complaint_type, guess.cue
    top = prediction.top
    standard = standard_category(top.label) if top is not None and top.confidence >= TYPE_FROM_CATEGORY else None
    if standard is not None:
        return ComplaintType(standard.complaint_type), f"분야 {standard.name}"
    return guess.complaint_type, "기본"


def citizen_choice(session: Session, org_id: int, code: str | None) -> tuple[tuple[str, ...], str | None]:
    """The model labels of the category a citizen chose (its own code and its standard code), and its name."""
    if not code:
        return (), None
    category = session.scalar(select(Category).where(Category.org_id == org_id, Category.code == code))
    if category is None:
        return (), None
    return tuple(label for label in (category.code, category.standard_code) if label), category.name


def assess(session: Session, org_id: int, items: Sequence[Submitted]) -> list[Assessment]:
    """Relevance and statutory type of each message, with the organisation's active model."""
    model, _version = model_store.active_model(session, org_id)
    hints = [citizen_choice(session, org_id, item.category_hint)[0] for item in items]
    predictions = model.predict_prepared(prepare([item.text for item in items]), hints if any(hints) else None)
    assessments = []
    for item, prediction in zip(items, predictions, strict=True):
        relevance = prediction.relevance
        # A photo is a report even without a word ("여기요" and a picture of a pothole).
        relevant = relevance.relevant or item.has_photo
        complaint_type, cue = statutory_type(prediction)
        why = f"관련성 {relevance.probability:.0%} ({relevance.decided_by}{', 사진' if item.has_photo else ''})"
        assessments.append(Assessment(relevant, complaint_type, f"{why}; 유형 {complaint_type.value} ({cue})"))
    return assessments
