"""Two-factor sign-in as actions: enrol (a secret, then a code to confirm it), check a code at log-in, reset it
(an admin, for a lost phone), require it for an organisation. Each audited; the secret is never logged."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_role, same_org
from sotong.audit.service import record
from sotong.db import atomic, utcnow
from sotong.errors import InvalidInput, NotFound
from sotong.orgs import twofactor
from sotong.orgs.models import User
from sotong.orgs.service import organisation


def _locked_user(session: Session, user_id: int) -> User:
    # Locked: two log-ins racing with the same code must not both spend it.
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"unknown user {user_id}")
    return user


def _own_or_admin(session: Session, actor: Actor, user_id: int) -> User:
    user = _locked_user(session, user_id)
    same_org(actor, user.org_id)
    if actor.user_id != user.id:
        require_role(actor, Role.admin, what="manage another user's two-factor sign-in")
    return user


def begin_enrolment(session: Session, *, actor: Actor, user_id: int) -> str:
    """A new secret for the user (not in use until confirmed); returns it in clear, to be shown once."""
    with atomic(session):
        user = _own_or_admin(session, actor, user_id)
        if user.totp_enabled:
            raise InvalidInput("two-factor sign-in is already on", code="two_factor_on")
        secret = twofactor.new_secret()
        user.totp_secret = twofactor.sealed(secret)
        user.totp_last_step = None
    return secret


def confirm_enrolment(
    session: Session, *, actor: Actor, user_id: int, code: str, now: dt.datetime | None = None
) -> User:
    """Turn two-factor sign-in on, once the user typed a code from their new secret."""
    with atomic(session):
        user = _own_or_admin(session, actor, user_id)
        secret = twofactor.secret_of(user)
        if secret is None or user.totp_enabled:
            raise InvalidInput("start the enrolment again", code="two_factor_restart")
        step = twofactor.matching_step(secret, code, now=now or utcnow(), after=None)
        if step is None:
            raise InvalidInput("the code does not match", field="code", code="two_factor_code")
        user.totp_enabled = True
        user.totp_last_step = step
        record(session, actor=actor, action="user.two_factor_enabled", org_id=user.org_id, details={"user_id": user.id})
    return user


def check_code(session: Session, *, user_id: int, code: str, now: dt.datetime | None = None) -> bool:
    """Whether `code` is the user's current TOTP code, not used before; the step is spent when it is."""
    with atomic(session):
        user = _locked_user(session, user_id)
        secret = twofactor.secret_of(user)
        if not user.totp_enabled or secret is None:
            return False
        step = twofactor.matching_step(secret, code, now=now or utcnow(), after=user.totp_last_step)
        if step is None:
            return False
        user.totp_last_step = step
    return True


def reset_two_factor(session: Session, *, actor: Actor, user_id: int) -> User:
    """Turn a user's two-factor sign-in off (a lost phone): they enrol again, at once if the organisation requires it.

    Their sessions end: whoever holds the lost phone's session must sign in again.
    """
    with atomic(session):
        user = _own_or_admin(session, actor, user_id)
        if actor.user_id == user.id and organisation(session, user.org_id).require_two_factor:
            raise InvalidInput("your organisation requires two-factor sign-in", code="two_factor_required")
        user.totp_secret = None
        user.totp_enabled = False
        user.totp_last_step = None
        user.session_generation = (user.session_generation or 0) + 1
        record(session, actor=actor, action="user.two_factor_reset", org_id=user.org_id, details={"user_id": user.id})
    return user


def set_two_factor_required(session: Session, *, actor: Actor, org_id: int, required: bool) -> None:
    """Require two-factor sign-in of every staff member of the organisation (they enrol at their next log-in)."""
    with atomic(session):
        org = organisation(session, org_id)
        same_org(actor, org.id)
        require_role(actor, Role.admin, what="require two-factor sign-in")
        before = {"require_two_factor": org.require_two_factor}
        org.require_two_factor = required
        record(
            session,
            actor=actor,
            action="organisation.two_factor_required" if required else "organisation.two_factor_optional",
            org_id=org.id,
            before=before,
            after={"require_two_factor": required},
        )
