"""The answer form on the staff case page: which templates to offer, filled for the case, and who may answer.

Shared by the case page (console/views.py) and the answer routes (console/answers.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_department_or_org_wide, require_role
from sotong.cases import service
from sotong.cases.answers import actions, render
from sotong.cases.answers.models import AnswerTemplate
from sotong.cases.models import Case
from sotong.db import utcnow
from sotong.errors import InvalidInput, NotFound, SotongError
from sotong.orgs.models import Organisation, User
from sotong.settings import Settings

MAX_FORM_TEXT = 20_000


def can_manage(user: User) -> bool:
    """Admins and department managers write templates; everyone else on the staff reads and uses them."""
    return user.role in actions.MANAGERS


def active_templates(db: Session, *, org_id: int, category_id: int | None) -> list[AnswerTemplate]:
    """The organisation's active templates: the case's category first, then general ones, then the rest."""
    rows = db.scalars(
        select(AnswerTemplate)
        .where(AnswerTemplate.org_id == org_id, AnswerTemplate.is_active.is_(True))
        .order_by(AnswerTemplate.title)
    )

    def rank(template: AnswerTemplate) -> int:
        if category_id is not None and template.category_id == category_id:
            return 0
        return 1 if template.category_id is None else 2

    return sorted(rows, key=rank)


def template_of(db: Session, actor: Actor, template_id: int | str | None) -> AnswerTemplate | None:
    if template_id in (None, ""):
        return None
    try:
        key = int(template_id)
    except ValueError as exc:
        raise InvalidInput("template_id must be a number") from exc
    template = db.get(AnswerTemplate, key)
    if template is None or template.org_id != actor.org_id:
        raise NotFound("no such answer template in your organisation")
    return template


def case_values(db: Session, case: Case, user: User, settings: Settings) -> render.CaseValues:
    org = db.get(Organisation, case.org_id)
    departments = service.department_names(db, [case.department_id])
    return render.case_values(
        case,
        department=departments.get(case.department_id) if case.department_id else (org.name if org else None),
        officer=user.display_name,
        timezone=org.timezone if org else settings.timezone,
        base_url=settings.base_url,
        now=utcnow(),
    )


def answerable_case(db: Session, actor: Actor, number: str) -> Case:
    """The case, if this actor may answer it: another department's case is "not found", a viewer is refused."""
    case = service.get_case_by_number(db, actor=actor, number=number)
    require_role(actor, Role.admin, Role.operator, Role.dept_manager, Role.officer, what="answer cases")
    require_department_or_org_wide(actor, case.department_id, what="answer this case")
    return case


def may_answer(actor: Actor, case: Case) -> bool:
    try:
        require_role(actor, Role.admin, Role.operator, Role.dept_manager, Role.officer, what="answer cases")
        require_department_or_org_wide(actor, case.department_id, what="answer this case")
    except SotongError:
        return False
    return True


def answer_form_context(db: Session, *, actor: Actor, user: User, case: Case, request: Request) -> dict[str, Any]:
    """What the case page's answer form needs: templates offered, and the chosen one filled (works without JS)."""
    settings: Settings = request.app.state.settings
    limits = {"answer_max_photos": settings.max_attachments, "answer_max_bytes": settings.max_attachment_bytes}
    if not may_answer(actor, case):  # no answer form on the page: spare the query
        return {"answer_templates": [], "answer_draft": {}, "answer_required": [], **limits}
    templates = active_templates(db, org_id=case.org_id, category_id=case.category_id)
    draft: dict[str, Any] = dict(getattr(request.state, "answer_draft", None) or {})
    chosen = None
    if not draft and request.query_params.get("answer_template"):
        try:
            chosen = template_of(db, actor, request.query_params.get("answer_template"))
        except SotongError:
            chosen = None
        if chosen is not None and chosen.is_active:
            draft = {"template_id": chosen.id, "body": render.fill(chosen.body, case_values(db, case, user, settings))}
    template_id = draft.get("template_id")
    current = next((t for t in templates if t.id == template_id), None)
    return {
        "answer_templates": templates,
        "answer_draft": draft,
        "answer_required": current.required_elements if current is not None else [],
        **limits,
    }
