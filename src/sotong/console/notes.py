"""Writing an internal note from the case page (POST /staff/notes/{case number})."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from sotong.cases import service
from sotong.errors import InvalidInput, NotFound, PermissionDenied
from sotong.i18n import translate
from sotong.notes.actions import add_note
from sotong.web.deps import DbSession, StaffActor
from sotong.web.error_text import error_text
from sotong.web.session import flash
from sotong.web.templating import request_language

router = APIRouter(prefix="/staff", include_in_schema=False)


@router.post("/notes/{number}")
async def post_note(number: str, request: Request, db: DbSession, actor: StaffActor) -> Response:
    """Add a note to the case, then back to its notes; refusals are 404 (cannot see) or 403 (may not write)."""
    form = await request.form()
    body = str(form.get("body") or "")
    lang = request_language(request)

    def run() -> list[str]:
        case = service.get_case_by_number(db, actor=actor, number=number)
        return add_note(db, actor=actor, case_id=case.id, body=body)[1]

    try:
        skipped = await run_in_threadpool(run)
    except (NotFound, PermissionDenied):
        raise  # the error pages: not found / forbidden
    except InvalidInput as exc:
        flash(request, "error", error_text(exc, request_language(request)))
    else:
        flash(request, "success", translate(lang, "queue.note_added"))
        if skipped:
            flash(request, "error", translate(lang, "queue.note_not_notified", names=", ".join(skipped)))
    return RedirectResponse(f"/staff/cases/{number}#notes-title", status_code=303)
