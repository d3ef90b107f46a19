"""Two-factor sign-in as actions: enrol (a secret, then a code to confirm it), recovery codes, check a code or a
recovery code at log-in, turn it off (the user, with password and code: orgs/auth.py), reset it (an admin, for a
lost phone), require it for an organisation. Each audited; secrets and codes are never logged."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_role, same_org
from sotong.audit.service import record
from sotong.db import atomic, utcnow
from sotong.errors import InvalidInput, NotFound
from sotong.orgs import twofactor
from sotong.orgs.models import RecoveryCode, User
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


def check_code(session: Session, *, user_id: int, code: str, now: dt.datetime | None = None) -> str | None:
    """Which second factor `code` is: "totp" (the current code, not used before; its step is now spent) or
    "recovery_code" (one of the user's unused recovery codes, now used up); None if neither."""
    with atomic(session):
        user = _locked_user(session, user_id)
        secret = twofactor.secret_of(user)
        if not user.totp_enabled or secret is None:
            return None
        step = twofactor.matching_step(secret, code, now=now or utcnow(), after=user.totp_last_step)
        if step is not None:
            user.totp_last_step = step
            return "totp"
        normal = twofactor.normal_recovery(code)
        if normal is None:
            return None
        row = session.scalar(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == twofactor.recovery_hash(normal),
                RecoveryCode.used_at.is_(None),
            )
        )
        if row is None:
            return None
        row.used_at = now or utcnow()
        session.flush()  # the count below must see this code as used
        left = unused_recovery_codes(session, user.id)
        record(
            session,
            actor=Actor.for_user(user),
            action="user.recovery_code_used",
            org_id=user.org_id,
            details={"user_id": user.id, "left": left},
        )
    return "recovery_code"


def unused_recovery_codes(session: Session, user_id: int) -> int:
    """How many of the user's recovery codes are still unused."""
    query = select(func.count()).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    return session.scalar(query) or 0


def new_recovery_codes(
    session: Session, *, actor: Actor, user_id: int, code: str | None = None, now: dt.datetime | None = None
) -> list[str]:
    """A fresh set of recovery codes for the user themself, replacing any older set; returned in clear, once.

    The first set after enrolling needs nothing more; replacing a set needs a current code from the phone, so a
    browser left signed in is not enough to take the account's recovery codes.
    """
    with atomic(session):
        user = _locked_user(session, user_id)
        same_org(actor, user.org_id)
        if actor.user_id != user.id:
            raise InvalidInput("only the user themself can see their recovery codes", code="two_factor_own")
        secret = twofactor.secret_of(user)
        if not user.totp_enabled or secret is None:
            raise InvalidInput("turn two-factor sign-in on first", code="two_factor_restart")
        has_codes = session.scalar(select(func.count()).where(RecoveryCode.user_id == user.id)) or 0
        if has_codes:
            step = twofactor.matching_step(secret, code or "", now=now or utcnow(), after=user.totp_last_step)
            if step is None:
                raise InvalidInput("the code does not match", field="code", code="two_factor_code")
            user.totp_last_step = step
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        codes = twofactor.new_recovery_codes()
        for plain in codes:
            normal = twofactor.normal_recovery(plain)
            assert normal is not None
            session.add(RecoveryCode(user_id=user.id, code_hash=twofactor.recovery_hash(normal)))
        record(
            session,
            actor=actor,
            action="user.recovery_codes_created",
            org_id=user.org_id,
            details={"user_id": user.id, "count": len(codes)},
        )
    return codes


def turn_off(session: Session, *, actor: Actor, user_id: int) -> User:
    """The user turns their own two-factor sign-in off (orgs/auth.py checked the password and a code first)."""
    with atomic(session):
        user = _locked_user(session, user_id)
        same_org(actor, user.org_id)
        if actor.user_id != user.id:
            raise InvalidInput("only the user themself can turn it off", code="two_factor_own")
        if organisation(session, user.org_id).require_two_factor:
            raise InvalidInput("your organisation requires two-factor sign-in", code="two_factor_required")
        user.totp_secret = None
        user.totp_enabled = False
        user.totp_last_step = None
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        record(
            session, actor=actor, action="user.two_factor_disabled", org_id=user.org_id, details={"user_id": user.id}
        )
    return user


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
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
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
