"""API tokens (/staff/admin/tokens): machine clients of the JSON API, created (the token shown once) and revoked."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.console.admin.common import done, own_row, page, router
from sotong.console.admin.forms import AdminActor, Form, FormData
from sotong.db import utcnow
from sotong.errors import InvalidInput
from sotong.orgs.actions import tokens as token_actions
from sotong.orgs.models import ApiToken
from sotong.orgs.tokens import SCOPES
from sotong.web.deps import DbSession

EXPIRY_CHOICES = ("30", "90", "365", "")  # days; "" never expires


def field_of(scope: str) -> str:
    """The checkbox of a scope (`cases:read` → `scope_cases_read`)."""
    return "scope_" + scope.replace(":", "_")


def _tokens_page(
    request: Request, db: Session, actor: Actor, form: Form | None = None, *, created: str | None = None
) -> Response:
    rows = list(db.scalars(select(ApiToken).where(ApiToken.org_id == actor.org_id).order_by(ApiToken.id.desc())))
    return page(
        request,
        "tokens.html",
        {
            "tokens": rows,
            "scopes": list(SCOPES),
            "scope_field": field_of,
            "expiry_choices": EXPIRY_CHOICES,
            "created": created,
            "now": utcnow(),
        },
        form,
        values={"expires_in_days": "90", field_of("cases:read"): "1"},
    )


@router.get("/tokens")
def token_list(request: Request, db: DbSession, actor: AdminActor) -> Response:
    """The organisation's API tokens (prefix only), with the form to create one."""
    return _tokens_page(request, db, actor)


@router.post("/tokens")
def token_create(request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Create a token; the page shows it this once (it is never stored, never put in the session cookie)."""
    form = Form(request, values)
    name = form.text("name", required=True)
    chosen = [scope for scope in SCOPES if form.checkbox(field_of(scope))]
    if not chosen:
        form.error("scopes", "token_scope")
    expiry = values.get("expires_in_days", "")
    if expiry not in EXPIRY_CHOICES:
        form.error("expires_in_days", "invalid_choice")
    if form.ok and name is not None:
        try:
            _, plain = token_actions.create_token(
                db,
                actor=actor,
                org_id=actor.org_id or 0,
                name=name,
                scopes=chosen,
                expires_in_days=int(expiry) if expiry else None,
            )
        except InvalidInput as exc:
            form.refused(exc)
        else:
            return _tokens_page(request, db, actor, created=plain)
    return _tokens_page(request, db, actor, form)


@router.post("/tokens/{token_id}/revoke")
def token_revoke(token_id: int, request: Request, db: DbSession, actor: AdminActor) -> Response:
    """Stop a token at once."""
    token = own_row(db, ApiToken, token_id, actor)
    token_actions.revoke_token(db, actor=actor, org_id=token.org_id, token_id=token.id)
    return done(request, "/staff/admin/tokens", "tokens.saved.revoked", name=token.name)
