"""Console pages of standard answers: the template admin page, and the answer form's endpoints on a case.

  GET  /staff/admin/answer-templates               list (every staff member reads; admins and managers edit)
  POST /staff/admin/answer-templates               create
  GET  /staff/admin/answer-templates/{id}          one template (edit form for admins and managers)
  POST /staff/admin/answer-templates/{id}          update
  POST /staff/admin/answer-templates/{id}/deactivate
  GET  /staff/cases/{number}/answer/render?template_id=   the template filled for the case (JSON, answers.js)
  POST /staff/cases/{number}/answer/preview        the channel reply and the masked public answer (JSON)
  POST /staff/cases/{number}/answer/send           answer (multipart: body, public_body, template_id, photos)

Changes go through answers.actions; the answer itself through cases.actions.answer.
"""

from __future__ import annotations

from typing import Any, cast

from fastapi import APIRouter, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUploadFile

from sotong.actors import Actor, Role, require_department_or_org_wide, require_role
from sotong.cases import actions as case_actions
from sotong.cases import service
from sotong.cases.answers import actions, render
from sotong.cases.answers.models import AnswerTemplate
from sotong.channels.preview import preview
from sotong.cases.models import Case
from sotong.db import utcnow
from sotong.errors import InvalidInput, NotFound, PermissionDenied, SotongError
from sotong.i18n import translate
from sotong.orgs.models import Category, Organisation, User
from sotong.settings import Settings
from sotong.web.deps import AppSettings, CurrentUser, DbSession, StaffActor
from sotong.web.session import flash
from sotong.web.templating import render as render_page
from sotong.web.templating import request_language
from sotong.web.uploads import read_uploads

router = APIRouter(prefix="/staff", include_in_schema=False)

ADMIN_PATH = "/staff/admin/answer-templates"
MAX_FORM_TEXT = 20_000


def can_manage(user: User) -> bool:
    """Admins and department managers write templates; everyone else on the staff reads and uses them."""
    return user.role in actions.MANAGERS


# --------------------------------------------------------------------------------------------- shared look-ups


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


def _template_of(db: Session, actor: Actor, template_id: int | str | None) -> AnswerTemplate | None:
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


def _values(db: Session, case: Case, user: User, settings: Settings) -> render.CaseValues:
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


def _answerable_case(db: Session, actor: Actor, number: str) -> Case:
    """The case, if this actor may answer it: another department's case is "not found", a viewer is refused."""
    case = service.get_case_by_number(db, actor=actor, number=number)
    require_role(actor, Role.admin, Role.operator, Role.dept_manager, Role.officer, what="answer cases")
    require_department_or_org_wide(actor, case.department_id, what="answer this case")
    return case


def _may_answer(actor: Actor, case: Case) -> bool:
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
    if not _may_answer(actor, case):  # no answer form on the page: spare the query
        return {"answer_templates": [], "answer_draft": {}, "answer_required": [], **limits}
    templates = active_templates(db, org_id=case.org_id, category_id=case.category_id)
    draft: dict[str, Any] = dict(getattr(request.state, "answer_draft", None) or {})
    chosen = None
    if not draft and request.query_params.get("answer_template"):
        try:
            chosen = _template_of(db, actor, request.query_params.get("answer_template"))
        except SotongError:
            chosen = None
        if chosen is not None and chosen.is_active:
            draft = {"template_id": chosen.id, "body": render.fill(chosen.body, _values(db, case, user, settings))}
    template_id = draft.get("template_id")
    current = next((t for t in templates if t.id == template_id), None)
    return {
        "answer_templates": templates,
        "answer_draft": draft,
        "answer_required": current.required_elements if current is not None else [],
        **limits,
    }


# --------------------------------------------------------------------------------------------- the answer form


@router.get("/cases/{number}/answer/render")
def render_template(
    number: str, request: Request, db: DbSession, actor: StaffActor, user: CurrentUser, settings: AppSettings
) -> JSONResponse:
    """The chosen template filled with this case's values, and the slots the officer must still write."""
    try:
        return _render_template(request, db, actor, user, settings, number)
    except SotongError as exc:
        return JSONResponse(exc.as_dict(), status_code=exc.http_status)


def _render_template(
    request: Request, db: Session, actor: Actor, user: User, settings: Settings, number: str
) -> JSONResponse:
    case = _answerable_case(db, actor, number)
    template = _template_of(db, actor, request.query_params.get("template_id"))
    if template is None:
        raise InvalidInput("choose a template")
    body = render.fill(template.body, _values(db, case, user, settings))
    return JSONResponse(
        {
            "template_id": template.id,
            "title": template.title,
            "body": body,
            "required_elements": list(template.required_elements),
            "slots": render.slots_in(body),
        }
    )


async def _form_or_json(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        data = await request.json()
        if not isinstance(data, dict):
            raise InvalidInput("expected a JSON object")
        return data
    return dict((await request.form()).items())


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    text = value if isinstance(value, str) else ""
    if len(text) > MAX_FORM_TEXT:
        raise InvalidInput(f"{key} is longer than {MAX_FORM_TEXT:,} characters")
    return text


@router.post("/cases/{number}/answer/preview")
async def preview_answer(
    number: str, request: Request, db: DbSession, actor: StaffActor, user: CurrentUser, settings: AppSettings
) -> JSONResponse:
    """Exactly what the citizen will see: the reply on the case's channel, and the masked public answer."""
    try:
        data = await _form_or_json(request)
        return await run_in_threadpool(_preview, request, db, actor, user, settings, number, data)
    except SotongError as exc:  # the form's script shows the reason; a page would be of no use to it
        return JSONResponse(exc.as_dict(), status_code=exc.http_status)


def _preview(
    request: Request, db: Session, actor: Actor, user: User, settings: Settings, number: str, data: dict[str, Any]
) -> JSONResponse:
    lang = request_language(request)
    case = _answerable_case(db, actor, number)
    body = _text(data, "body").strip()
    if not body:
        raise InvalidInput("the answer is empty")
    template = _template_of(db, actor, data.get("template_id"))
    rendered = render.fill(template.body, _values(db, case, user, settings)) if template is not None else None
    result = preview(db, case, body=body, public_body=_text(data, "public_body").strip() or None)
    missing = case_actions.missing_elements(template, rendered, body)
    return JSONResponse(
        {
            "channel": result.channel.as_dict(),
            "channel_label": translate(lang, f"channel.{case.channel.value}"),
            "public": result.public,
            "tracking_url": result.tracking_url,
            "missing": missing,
            "missing_message": translate(lang, "answers.missing", names=", ".join(missing)) if missing else "",
        }
    )


@router.post("/cases/{number}/answer/send")
async def send(
    number: str, request: Request, db: DbSession, actor: StaffActor, user: CurrentUser, settings: AppSettings
) -> Response:
    """Send the answer (photos of the result attached); a refusal shows the form again with what was typed."""
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    # The form parser hands out Starlette's UploadFile (FastAPI's is a subclass of it, with the same reading API).
    uploads = cast(list[UploadFile], [f for f in form.getlist("photos") if isinstance(f, StarletteUploadFile)])
    return await run_in_threadpool(_send, request, db, actor, user, settings, number, data, uploads)


def _send(
    request: Request,
    db: Session,
    actor: Actor,
    user: User,
    settings: Settings,
    number: str,
    data: dict[str, str],
    uploads: list[UploadFile],
) -> Response:
    lang = request_language(request)
    case = service.get_case_by_number(db, actor=actor, number=number)
    body, public_body = _text(data, "body"), _text(data, "public_body").strip() or None
    try:
        template = _template_of(db, actor, data.get("template_id"))
        rendered = render.fill(template.body, _values(db, case, user, settings)) if template is not None else None
        photos = [case_actions.Photo(a.data, a.filename) for a in read_uploads(uploads, settings)]
        case_actions.answer(
            db,
            actor=actor,
            case_id=case.id,
            body=body,
            public_body=public_body,
            template=template,
            rendered_template=rendered,
            photos=photos,
        )
    except case_actions.RequiredElementsMissing as exc:
        return _form_again(
            request, db, actor, user, number, data, translate(lang, "answers.missing", names=", ".join(exc.missing))
        )
    except SotongError as exc:
        return _form_again(request, db, actor, user, number, data, exc.message)
    flash(request, "success", translate(lang, "flash.done", action=translate(lang, "action.answer")))
    return RedirectResponse(f"/staff/cases/{number}", status_code=303)


def _form_again(
    request: Request, db: Session, actor: Actor, user: User, number: str, data: dict[str, str], message: str
) -> Response:
    """The case page again with the refusal and the officer's text kept (a redirect would lose what they wrote)."""
    from sotong.console import views as console_views  # the console imports this module for the form context

    db.rollback()
    flash(request, "error", message)
    request.state.answer_draft = {
        "body": data.get("body", ""),
        "public_body": data.get("public_body", ""),
        "template_id": _int(data.get("template_id")),
    }
    response = console_views.case_detail(number, request, db, actor, user)
    response.status_code = 422
    return response


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# --------------------------------------------------------------------------------------------- admin page


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
    category = _int(str(data.get("category_id") or ""))
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
        return _admin_page(request, db, user, name="answers_templates.html", form=values, error=exc.message)
    flash(request, "success", translate(request_language(request), "answers.saved", title=template.title))
    return RedirectResponse(f"{ADMIN_PATH}/{template.id}", status_code=303)


@router.get("/admin/answer-templates/{template_id}")
def admin_detail(template_id: int, request: Request, db: DbSession, actor: StaffActor, user: CurrentUser) -> Response:
    """One template: its edit form for admins and managers, read-only for the others."""
    template = _template_of(db, actor, template_id)
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
    template = _template_of(db, actor, template_id)
    try:
        actions.update_template(db, actor=actor, template_id=template_id, **values)
    except PermissionDenied:
        raise
    except SotongError as exc:
        db.rollback()
        return _admin_page(
            request, db, user, name="answers_template.html", template=template, form=values, error=exc.message
        )
    flash(request, "success", translate(request_language(request), "answers.saved", title=values["title"]))
    return RedirectResponse(f"{ADMIN_PATH}/{template_id}", status_code=303)


@router.post("/admin/answer-templates/{template_id}/deactivate")
def admin_deactivate(template_id: int, request: Request, db: DbSession, actor: StaffActor) -> Response:
    """Stop offering a template."""
    template = actions.deactivate_template(db, actor=actor, template_id=template_id)
    flash(request, "success", translate(request_language(request), "answers.deactivated", title=template.title))
    return RedirectResponse(ADMIN_PATH, status_code=303)
