"""공개 검토 (/staff/review) and the public version of a case on its console page.

Operators see each case waiting for release with the citizen's words and the masked version side by side, correct
the public title and text, and release it or keep it private. On the case page, operators and the case's
department correct the public text, title and answers' public copies at any status, and hide the case at once.
Every change goes through `cases.actions` (publication.py): one audited action each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from sotong.actors import Actor, Role
from sotong.cases import actions, service
from sotong.cases.models import Case
from sotong.errors import InvalidInput, NotFound, PermissionDenied, SotongError
from sotong.i18n import translate
from sotong.web.deps import CurrentUser, DbSession, StaffActor
from sotong.web.error_text import error_text
from sotong.web.session import flash
from sotong.web.templating import render, request_language

router = APIRouter(prefix="/staff", include_in_schema=False)


def case_page_context(actor: Actor, case: Case) -> dict[str, Any]:
    """What the case page's 공개 section needs: the state, and whether this user may edit, release or hide."""
    role = actor.role if actor.is_staff else None
    own = role in (Role.admin, Role.operator) or (
        role in (Role.dept_manager, Role.officer)
        and case.department_id is not None
        and case.department_id == actor.department_id
    )
    state = service.publication_state(case)
    return {
        "publication": state,
        "can_edit_public": own,
        "can_release": role in (Role.admin, Role.operator) and state in ("review", "private"),
        "can_hide": own and state in ("published", "review"),
    }


@router.get("/review")
def review_page(request: Request, db: DbSession, actor: StaffActor, user: CurrentUser) -> Response:
    """The cases waiting for a person before the public may see them, oldest first."""
    cases, total = service.awaiting_release(db, actor=actor)
    return render(request, "staff/review.html", {"cases": cases, "total": total})


async def _run(request: Request, action: Callable[[], object], success_key: str) -> None:
    lang = request_language(request)
    try:
        await run_in_threadpool(action)
    except (NotFound, PermissionDenied):
        raise  # the error pages (404 / 403): a refusal is not a form mistake
    except SotongError as exc:
        flash(request, "error", error_text(exc, lang))
    else:
        flash(request, "success", translate(lang, success_key))


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def _back(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


@router.post("/review/{number}/release")
async def release(number: str, request: Request, db: DbSession, actor: StaffActor) -> Response:
    """Publish the masked version, as corrected in the form."""
    form = await request.form()
    case = service.get_case_by_number(db, actor=actor, number=number)
    text, title = _field(form, "public_text"), _field(form, "public_title")

    def run() -> None:
        actions.release(db, actor=actor, case_id=case.id, public_text=text, public_title=title)

    await _run(request, run, "privacy.done.released")
    return _back(_next(form, number))


@router.post("/review/{number}/withhold")
async def withhold(number: str, request: Request, db: DbSession, actor: StaffActor) -> Response:
    """Keep a case under review private, or hide a published one (the same action: 비공개)."""
    form = await request.form()
    case = service.get_case_by_number(db, actor=actor, number=number)
    reason = _field(form, "reason")
    await _run(
        request, lambda: actions.withhold(db, actor=actor, case_id=case.id, reason=reason), "privacy.done.withheld"
    )
    return _back(_next(form, number))


@router.post("/cases/{number}/public/edit")
async def edit(number: str, request: Request, db: DbSession, actor: StaffActor) -> Response:
    """Correct the public title, text and answers' public copies (only the fields sent)."""
    form = await request.form()
    case = service.get_case_by_number(db, actor=actor, number=number)
    text, title = _field(form, "public_text"), _field(form, "public_title")
    answers: list[tuple[int, str]] = []
    for key in form:
        if key.startswith("answer_"):
            raw, body = key.removeprefix("answer_"), _field(form, key)
            if not raw.isdigit():
                raise InvalidInput(f"no answer {raw!r}")
            if body is not None:
                answers.append((int(raw), body))

    def run() -> None:
        # One action per answer after the case's own text: each is its own audited correction.
        if text is not None or title is not None:
            actions.edit_public(db, actor=actor, case_id=case.id, public_text=text, public_title=title)
        for answer_id, body in answers:
            actions.edit_public(db, actor=actor, case_id=case.id, answer_id=answer_id, answer_public_body=body)

    await _run(request, run, "privacy.done.edited")
    return _back(f"/staff/cases/{number}")


def _next(form: FormData, number: str) -> str:
    # Back to the list the form was on: the review list, or the case page (never elsewhere: no open redirect).
    return f"/staff/cases/{number}" if _field(form, "next") == "case" else "/staff/review"
