"""API tokens as actions: create (shown once), revoke, and note a use. Creating and revoking are audited; a use
is written on the token (`last_used_at`, at most once a minute) and every write it makes is audited by the action
it runs, under the token's name (orgs/tokens.py `actor_for`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_role, same_org
from sotong.audit.service import record
from sotong.db import atomic, utcnow
from sotong.errors import InvalidInput, NotFound
from sotong.orgs import tokens
from sotong.orgs.models import ApiToken
from sotong.orgs.service import organisation

MAX_LIFETIME_DAYS = 3650


def create_token(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    name: str,
    scopes: list[str],
    expires_in_days: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token for a machine client; the token in clear is returned once and never stored."""
    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidInput("a token needs a name of 1-120 characters", field="name", code="required")
    try:
        chosen = tokens.clean_scopes(scopes)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="scopes", code="token_scope") from None
    if not chosen:
        raise InvalidInput("choose at least one scope", field="scopes", code="token_scope")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_LIFETIME_DAYS:
        raise InvalidInput(f"expiry must be 1-{MAX_LIFETIME_DAYS} days", field="expires_in_days", code="token_expiry")
    now = now or utcnow()
    plain = tokens.new_token()
    with atomic(session):
        org = organisation(session, org_id)
        same_org(actor, org.id)
        require_role(actor, Role.admin, what="manage API tokens")
        token = ApiToken(
            org_id=org.id,
            name=name,
            token_hash=tokens.token_hash(plain),
            prefix=plain[: tokens.PREFIX_LENGTH],
            scopes=" ".join(chosen),
            created_by_id=actor.user_id,
            created_at=now,
            expires_at=now + dt.timedelta(days=expires_in_days) if expires_in_days else None,
        )
        session.add(token)
        session.flush()
        record(
            session,
            actor=actor,
            action="api_token.created",
            org_id=org.id,
            after={
                "token_id": token.id,
                "name": name,
                "prefix": token.prefix,
                "scopes": chosen,
                "expires_at": token.expires_at,
            },
        )
    return token, plain


def revoke_token(session: Session, *, actor: Actor, org_id: int, token_id: int) -> ApiToken:
    """Stop a token at once (kept, revoked, for the audit trail); revoking it again changes nothing."""
    with atomic(session):
        token = session.get(ApiToken, token_id, with_for_update=True)
        if token is None or token.org_id != org_id:
            raise NotFound(f"no API token {token_id} in this organisation")
        same_org(actor, token.org_id)
        require_role(actor, Role.admin, what="manage API tokens")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            record(
                session,
                actor=actor,
                action="api_token.revoked",
                org_id=token.org_id,
                after={"token_id": token.id, "name": token.name, "prefix": token.prefix},
            )
    return token


def note_use(session: Session, *, token_id: int, ip: str | None, now: dt.datetime) -> None:
    """Write down when (and from where) a token was last used; at most once a minute per token.

    Its own small transaction, before the request's work: a refused or failing call was still a use.
    """
    with atomic(session):
        session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < now - tokens.LAST_USED_RESOLUTION),
            )
            .values(last_used_at=now, last_used_ip=(ip or "")[:64] or None)
        )
