"""/staff/admin/answer-templates: the organisation's standard answers (표준답안), for admins and department managers.

Every change goes through the template actions (cases/answers/actions.py). Officers use the templates on the
case page's answer form (console/answer_form.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.cases import service
from sotong.cases.answers import actions, render
from sotong.cases.answers.models import AnswerTemplate
from sotong.console.answer_form import (
    can_manage,
    template_of,
)
from sotong.errors import PermissionDenied, SotongError
from sotong.i18n import translate
from sotong.orgs.models import Category, User
from sotong.web.deps import CurrentUser, DbSession, StaffActor
from sotong.web.error_text import error_text
from sotong.web.params import int_or_none
from sotong.web.session import flash
from sotong.web.templating import render as render_page
from sotong.web.templating import request_language

router = APIRouter(prefix="/staff", include_in_schema=False)

ADMIN_PATH = "/staff/admin/answer-templates"


def _categories(db: Session, org_id: int) -> list[Category]:
    return service.categories(db, org_id=org_id)


def _admin_page(
    request: Request,
    db: Session,
    user: User,
    *,
    name: str,
    template: AnswerTemplate | None = None,
    form: dict[str, Any] | None = None,
    error: str | None = None,
) -> Response:
    rows = list(
        db.scalars(
            select(AnswerTemplate)
            .where(AnswerTemplate.org_id == user.org_id)
            .order_by(AnswerTemplate.is_active.desc(), AnswerTemplate.title)
        )
    )
    categories = _categories(db, user.org_id)
    return render_page(
        request,
        f"staff/{name}",
        {
            "templates": rows,
            "template": template,
            "categories": categories,
            "category_names": {c.id: c.name for c in categories},
            "can_manage": can_manage(user),
            "placeholders": render.PLACEHOLDERS,
            "form": form or {},
            "error": error,
        },
        status_code=422 if error else 200,
    )


def _template_form(data: dict[str, Any]) -> dict[str, Any]:
    category = int_or_none(str(data.get("category_id") or ""))
    return {
        "title": str(data.get("title") or ""),
        "body": str(data.get("body") or ""),
        "category_id": category,
        "required_elements": [e for e in str(data.get("required_elements") or "").splitlines() if e.strip()],
        "is_active": str(data.get("is_active") or "") in ("true", "on", "1"),
    }


@router.get("/admin/answer-templates")
def admin_list(request: Request, db: DbSession, user: CurrentUser) -> Response:
    """Every template of the organisation, and a form for a new one (admins and managers)."""
    return _admin_page(request, db, user, name="answers_templates.html", form={"is_active": True})


@router.post("/admin/answer-templates")
async def admin_create(request: Request, db: DbSession, actor: StaffActor, user: CurrentUser) -> Response:
    """Create a template; a refused one comes back with the error and what was typed."""
    values = _template_form(dict((await request.form()).items()))
    return await run_in_threadpool(_create, request, db, actor, user, values)


def _create(request: Request, db: Session, actor: Actor, user: User, values: dict[str, Any]) -> Response:
    try:
        template = actions.create_template(db, actor=actor, org_id=user.org_id, **values)
    except PermissionDenied:
        raise
    except SotongError as exc:
        db.rollback()
        return _admin_page(
            request,
            db,
            user,
            name="answers_templates.html",
            form=values,
            error=error_text(exc, request_language(request)),
        )
    flash(request, "success", translate(request_language(request), "answers.saved", title=template.title))
    return RedirectResponse(f"{ADMIN_PATH}/{template.id}", status_code=303)


@router.get("/admin/answer-templates/{template_id}")
def admin_detail(template_id: int, request: Request, db: DbSession, actor: StaffActor, user: CurrentUser) -> Response:
    """One template: its edit form for admins and managers, read-only for the others."""
    template = template_of(db, actor, template_id)
    assert template is not None
    form = {
        "title": template.title,
        "body": template.body,
        "category_id": template.category_id,
        "required_elements": list(template.required_elements),
        "is_active": template.is_active,
    }
    return _admin_page(request, db, user, name="answers_template.html", template=template, form=form)


@router.post("/admin/answer-templates/{template_id}")
async def admin_update(
    template_id: int, request: Request, db: DbSession, actor: StaffActor, user: CurrentUser
) -> Response:
    """Save changes to a template."""
    values = _template_form(dict((await request.form()).items()))
    return await run_in_threadpool(_update, request, db, actor, user, template_id, values)


def _update(
    request: Request, db: Session, actor: Actor, user: User, template_id: int, values: dict[str, Any]
) -> Response:
    template = template_of(db, actor, template_id)
    try:
        actions.update_template(db, actor=actor, template_id=template_id, **values)
    except PermissionDenied:
        raise
    except SotongError as exc:
        db.rollback()
        return _admin_page(
            request,
            db,
            user,
            name="answers_template.html",
            template=template,
            form=values,
            error=error_text(exc, request_language(request)),
        )
    flash(request, "success", translate(request_language(request), "answers.saved", title=values["title"]))
    return RedirectResponse(f"{ADMIN_PATH}/{template_id}", status_code=303)


@router.post("/admin/answer-templates/{template_id}/deactivate")
def admin_deactivate(template_id: int, request: Request, db: DbSession, actor: StaffActor) -> Response:
    """Stop offering a template."""
    template = actions.deactivate_template(db, actor=actor, template_id=template_id)
    flash(request, "success", translate(request_language(request), "answers.deactivated", title=template.title))
    return RedirectResponse(ADMIN_PATH, status_code=303)
