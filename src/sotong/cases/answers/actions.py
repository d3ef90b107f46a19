"""State changes of standard answers (표준답안): templates created, changed, retired.

Each function owns its transaction (joining a caller's) and writes its audit event, like the case actions.
A case is answered from a template by the one answer action (cases/actions/answer.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_role, same_org
from sotong.audit.service import record
from sotong.cases.answers import render
from sotong.cases.answers.models import AnswerTemplate
from sotong.db import atomic
from sotong.errors import InvalidInput, NotFound
from sotong.orgs.service import category_in

MAX_TITLE = 120
MAX_BODY = 20_000
MAX_ELEMENTS = 20
MANAGERS = (Role.admin, Role.dept_manager)


def _clean(
    session: Session, *, org_id: int, title: str, body: str, category_id: int | None, required: Iterable[str]
) -> tuple[str, str, list[str]]:
    """Validated title, body and required elements; every problem is named in the error."""
    title, body = title.strip(), body.strip()
    if not title:
        raise InvalidInput("a template needs a title")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"the title is longer than {MAX_TITLE} characters")
    if not body:
        raise InvalidInput("a template needs a body")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"the body is longer than {MAX_BODY:,} characters")
    unknown = render.unknown_placeholders(body)
    if unknown:
        known = ", ".join(f"{{{name}}}" for name in render.PLACEHOLDERS)
        raise InvalidInput(
            f"unknown placeholder {', '.join(f'{{{u}}}' for u in unknown)}; use one of {known}",
            unknown=unknown,
        )
    elements = list(dict.fromkeys(e.strip() for e in required if e.strip()))
    for element in elements:
        if len(element) > render.MAX_SLOT_LABEL or any(c in element for c in "[]\n"):
            raise InvalidInput(f"required element {element!r}: at most {render.MAX_SLOT_LABEL} characters, no brackets")
    in_body = render.slots_in(body)
    absent = [e for e in elements if e not in in_body]
    if absent:
        raise InvalidInput(
            "every required element needs its slot in the body: add "
            + ", ".join(render.slot(e) for e in absent)
            + " where the officer writes it"
        )
    # A slot in the body blocks the send whether declared or not: list it, so the form names it too.
    elements += [s for s in in_body if s not in elements]
    if len(elements) > MAX_ELEMENTS:
        raise InvalidInput(f"at most {MAX_ELEMENTS} required elements")
    if category_id is not None:
        category_in(session, org_id, category_id)
    return title, body, elements


def _check_title_free(session: Session, org_id: int, title: str, template_id: int | None = None) -> None:
    clash = session.scalar(
        select(AnswerTemplate.id).where(AnswerTemplate.org_id == org_id, AnswerTemplate.title == title)
    )
    if clash is not None and clash != template_id:
        raise InvalidInput(f"a template titled {title!r} already exists")


def _snapshot(template: AnswerTemplate) -> dict[str, object]:
    return {
        "title": template.title,
        "category_id": template.category_id,
        "body": template.body,
        "required_elements": list(template.required_elements),
        "is_active": template.is_active,
    }


def _audit(
    session: Session, actor: Actor, template: AnswerTemplate, action: str, before: dict[str, object] | None
) -> None:
    after = _snapshot(template)
    record(
        session,
        actor=actor,
        action=f"answers.template_{action}",
        org_id=template.org_id,
        before={k: v for k, v in (before or {}).items() if after.get(k) != v},
        after={k: v for k, v in after.items() if before is None or before.get(k) != v},
        details={"template_id": template.id},
    )


def _load(session: Session, actor: Actor, template_id: int) -> AnswerTemplate:
    template = session.get(AnswerTemplate, template_id)
    if template is None:
        raise NotFound(f"no answer template {template_id}")
    same_org(actor, template.org_id)
    return template


def create_template(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    title: str,
    body: str,
    category_id: int | None = None,
    required_elements: Iterable[str] = (),
    is_active: bool = True,
) -> AnswerTemplate:
    """Add a standard answer to the organisation (admins and department managers)."""
    require_role(actor, *MANAGERS, what="manage answer templates")
    same_org(actor, org_id)
    title, body, elements = _clean(
        session, org_id=org_id, title=title, body=body, category_id=category_id, required=required_elements
    )
    with atomic(session):
        _check_title_free(session, org_id, title)
        template = AnswerTemplate(
            org_id=org_id,
            category_id=category_id,
            title=title,
            body=body,
            required_elements=elements,
            is_active=is_active,
            created_by_id=actor.user_id,
        )
        session.add(template)
        session.flush()
        _audit(session, actor, template, "created", None)
    return template


def update_template(
    session: Session,
    *,
    actor: Actor,
    template_id: int,
    title: str,
    body: str,
    category_id: int | None = None,
    required_elements: Iterable[str] = (),
    is_active: bool = True,
) -> AnswerTemplate:
    """Change a standard answer; answers already sent keep the words they were sent with."""
    require_role(actor, *MANAGERS, what="manage answer templates")
    with atomic(session):
        template = _load(session, actor, template_id)
        title, body, elements = _clean(
            session,
            org_id=template.org_id,
            title=title,
            body=body,
            category_id=category_id,
            required=required_elements,
        )
        _check_title_free(session, template.org_id, title, template.id)
        before = _snapshot(template)
        template.title, template.body, template.category_id = title, body, category_id
        template.required_elements = elements
        template.is_active = is_active
        _audit(session, actor, template, "updated", before)
    return template


def deactivate_template(session: Session, *, actor: Actor, template_id: int) -> AnswerTemplate:
    """Stop offering a template (kept: the audit log and past answers refer to it)."""
    require_role(actor, *MANAGERS, what="manage answer templates")
    with atomic(session):
        template = _load(session, actor, template_id)
        if not template.is_active:
            return template
        before = _snapshot(template)
        template.is_active = False
        _audit(session, actor, template, "deactivated", before)
    return template
