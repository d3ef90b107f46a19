"""What every administration page shares: the router, loading a row of the admin's own organisation, replies."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.console.admin.forms import Form
from sotong.errors import NotFound
from sotong.i18n import translate
from sotong.web.session import flash
from sotong.web.templating import render, request_language

router = APIRouter(prefix="/staff/admin", include_in_schema=False)

T = TypeVar("T")


def own_row(db: Session, model: type[T], row_id: int, actor: Actor) -> T:
    """A row of the admin's own organisation; another organisation's row, like a missing one, is 404."""
    row = db.get(model, row_id)
    if row is None or getattr(row, "org_id", None) != actor.org_id:
        raise NotFound("no such record in your organisation")
    return row


# Administration sections with routers of their own (admin/channels.py, admin/answers.py): linked when routed.
OTHER_SECTIONS = ("channels", "answer-templates")


def _paths(routes: list[Any]) -> set[str]:
    paths: set[str] = set()
    for route in routes:
        paths.add(getattr(route, "path", ""))
        inner = getattr(route, "original_router", None)  # FastAPI >= 0.165 keeps an included router whole
        if inner is not None:
            paths |= _paths(inner.routes)
    return paths


def other_sections(request: Request) -> list[str]:
    """The sections with routers of their own that this app serves, for the administration menu."""
    paths = _paths(request.app.routes)
    return [s for s in OTHER_SECTIONS if f"/staff/admin/{s}" in paths]


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    form: Form | None = None,
    *,
    values: dict[str, Any] | None = None,
    folder: str = "staff/admin",
) -> Response:
    """Render an administration page; a form with errors comes back with 422, its values kept.

    Other packages' administration pages (channel accounts) keep their templates in their own `folder`.
    """
    status = 422 if form is not None and not form.ok else 200
    shown = form.values if form is not None else (values or {})
    errors = form.errors if form is not None else {}
    context = {**context, "form": shown, "errors": errors, "other_sections": other_sections(request)}
    return render(request, f"{folder}/{name}", context, status_code=status)


def done(request: Request, url: str, key: str, **values: Any) -> Response:
    """Back to a page after a change, with a success message."""
    flash(request, "success", translate(request_language(request), key, **values))
    return RedirectResponse(url, status_code=303)
