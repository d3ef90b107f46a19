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
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUploadFile

from sotong.actors import Actor
from sotong.cases import actions as case_actions
from sotong.cases import service
from sotong.cases.answers import render
from sotong.channels.preview import preview
from sotong.console import views as console_views
from sotong.console.answer_form import (
    MAX_FORM_TEXT,
    answerable_case,
    case_values,
    template_of,
)
from sotong.errors import InvalidInput, SotongError
from sotong.i18n import translate
from sotong.orgs.models import User
from sotong.settings import Settings
from sotong.web.deps import AppSettings, CurrentUser, DbSession, StaffActor
from sotong.web.error_text import error_text
from sotong.web.params import int_or_none
from sotong.web.session import flash
from sotong.web.templating import request_language
from sotong.web.uploads import read_uploads

router = APIRouter(prefix="/staff", include_in_schema=False)


# --------------------------------------------------------------------------------------------- shared look-ups


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
    case = answerable_case(db, actor, number)
    template = template_of(db, actor, request.query_params.get("template_id"))
    if template is None:
        raise InvalidInput("choose a template")
    body = render.fill(template.body, case_values(db, case, user, settings))
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
    case = answerable_case(db, actor, number)
    body = _text(data, "body").strip()
    if not body:
        raise InvalidInput("the answer is empty")
    template = template_of(db, actor, data.get("template_id"))
    rendered = render.fill(template.body, case_values(db, case, user, settings)) if template is not None else None
    result = preview(db, case, body=body, public_body=_text(data, "public_body").strip() or None, actor=actor)
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


# Also at .../answer: the action's own name, where the case page's other action forms post theirs.
@router.post("/cases/{number}/answer")
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
        template = template_of(db, actor, data.get("template_id"))
        rendered = render.fill(template.body, case_values(db, case, user, settings)) if template is not None else None
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
        return _form_again(request, db, actor, user, number, data, error_text(exc, lang))
    flash(request, "success", translate(lang, "done.answer"))
    return RedirectResponse(f"/staff/cases/{number}", status_code=303)


def _form_again(
    request: Request, db: Session, actor: Actor, user: User, number: str, data: dict[str, str], message: str
) -> Response:
    """The case page again with the refusal and the officer's text kept (a redirect would lose what they wrote)."""
    db.rollback()
    flash(request, "error", message)
    request.state.answer_draft = {
        "body": data.get("body", ""),
        "public_body": data.get("public_body", ""),
        "template_id": int_or_none(data.get("template_id")),
    }
    response = console_views.case_detail(number, request, db, actor, user)
    response.status_code = 422
    return response


# --------------------------------------------------------------------------------------------- admin page
