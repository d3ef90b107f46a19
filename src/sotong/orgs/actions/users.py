"""Staff accounts: created, changed, their role, password and activity, one audited action each.

Administration pages pass refusals on with a `field` (the form field at fault) and a `code` the console translates.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_role, same_org
from sotong.audit.service import record
from sotong.db import atomic
from sotong.errors import InvalidInput
from sotong.orgs.models import User
from sotong.orgs.passwords import check_password, hash_password
from sotong.orgs.service import department_in, get_row, organisation


def create_user(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    username: str,
    password: str | None = None,
    role: Role,
    display_name: str | None = None,
    department_id: int | None = None,
    email: str | None = None,
    password_hash: str | None = None,
) -> User:
    """Create a staff account; managers and officers must belong to a department of the same organisation.

    Give `password`, or `password_hash` made by `hash_password` (accounts carried over from another system,
    and the demo, whose personas share one password: argon2 at full cost takes ~0.5 s per hash).
    """
    if (password is None) == (password_hash is None):
        raise InvalidInput("give either a password or a password hash")
    if password is not None:
        check_password(password, known_words=(username, display_name or ""))
    if password_hash is not None and not password_hash.startswith("$argon2"):
        raise InvalidInput("password_hash must be an argon2 hash")
    if not username or len(username) > 64:
        raise InvalidInput("username must be 1-64 characters")
    if role in (Role.dept_manager, Role.officer) and department_id is None:
        raise InvalidInput(f"a {role.value} needs a department", field="department_id", code="role_needs_department")
    user = User(
        org_id=org_id,
        username=username,
        display_name=display_name or username,
        role=role,
        department_id=department_id,
        email=email,
        password_hash=password_hash if password is None else hash_password(password),
    )
    try:
        with atomic(session):
            organisation(session, org_id)
            same_org(actor, org_id)
            require_role(actor, Role.admin, what="create users")
            if department_id is not None:
                department_in(session, org_id, department_id)
            session.add(user)
            session.flush()
            record(
                session,
                actor=actor,
                action="user.created",
                org_id=org_id,
                after={"id": user.id, "username": username, "role": role, "department_id": department_id},
            )
    except IntegrityError as exc:
        raise InvalidInput(f"username {username!r} is taken", field="username", code="username_taken") from exc
    return user


def set_password(session: Session, *, actor: Actor, user_id: int, password: str) -> User:
    """Change a user's password (admins, or the user themself)."""
    with atomic(session):
        user: User = get_row(session, User, user_id, "user")
        same_org(actor, user.org_id)
        if actor.user_id != user.id:
            require_role(actor, Role.admin, what="change another user's password")
        check_password(password, known_words=(user.username, user.display_name))
        user.password_hash = hash_password(password)
        user.session_generation = (user.session_generation or 0) + 1
        record(
            session,
            actor=actor,
            action="user.password_changed",
            org_id=user.org_id,
            details={"user_id": user.id},
        )
    return user


def _user_in_org(session: Session, actor: Actor, user_id: int) -> User:
    user: User = get_row(session, User, user_id, "user")
    same_org(actor, user.org_id)
    return user


def update_user(
    session: Session,
    *,
    actor: Actor,
    user_id: int,
    display_name: str,
    email: str | None,
    department_id: int | None,
    on_duty: bool = True,
) -> User:
    """Change a staff account's name, e-mail, department and whether it takes automatic assignments."""
    display_name = display_name.strip()
    if not display_name:
        raise InvalidInput("a user needs a display name", field="display_name", code="required")
    with atomic(session):
        user = _user_in_org(session, actor, user_id)
        require_role(actor, Role.admin, what="edit users")
        if department_id is not None:
            department_in(session, user.org_id, department_id)
        elif user.role in (Role.dept_manager, Role.officer):
            raise InvalidInput(
                f"a {user.role.value} needs a department", field="department_id", code="role_needs_department"
            )
        before = _user_dict(user)
        user.display_name, user.email, user.department_id, user.on_duty = display_name, email, department_id, on_duty
        record(
            session,
            actor=actor,
            action="user.updated",
            org_id=user.org_id,
            before=before,
            after=_user_dict(user),
            details={"user_id": user.id},
        )
    return user


def change_role(session: Session, *, actor: Actor, user_id: int, role: Role, department_id: int | None = None) -> User:
    """Give a staff account another role (managers and officers need a department of the organisation)."""
    with atomic(session):
        user = _user_in_org(session, actor, user_id)
        require_role(actor, Role.admin, what="change roles")
        if actor.user_id == user.id:
            # An admin demoting themself could leave the organisation with nobody able to undo it.
            raise InvalidInput("you cannot change your own role", field="role", code="own_role")
        department_id = department_id if department_id is not None else user.department_id
        if role in (Role.dept_manager, Role.officer) and department_id is None:
            raise InvalidInput(
                f"a {role.value} needs a department", field="department_id", code="role_needs_department"
            )
        if department_id is not None:
            department_in(session, user.org_id, department_id)
        before = _user_dict(user)
        user.role, user.department_id = role, department_id
        record(
            session,
            actor=actor,
            action="user.role_changed",
            org_id=user.org_id,
            before=before,
            after=_user_dict(user),
            details={"user_id": user.id},
        )
    return user


def set_user_active(session: Session, *, actor: Actor, user_id: int, active: bool) -> User:
    """Deactivate a staff account (kept for the audit trail; its sessions end) or activate it again."""
    with atomic(session):
        user = _user_in_org(session, actor, user_id)
        require_role(actor, Role.admin, what="deactivate users")
        if actor.user_id == user.id and not active:
            raise InvalidInput("you cannot deactivate your own account", field="active", code="own_account")
        before = {"is_active": user.is_active}
        user.is_active = active
        # Ended now, not merely refused while inactive: activating the account again must not revive old cookies.
        user.session_generation = (user.session_generation or 0) + 1
        record(
            session,
            actor=actor,
            action="user.activated" if active else "user.deactivated",
            org_id=user.org_id,
            before=before,
            after={"is_active": active},
            details={"user_id": user.id, "username": user.username},
        )
    return user


def deactivate_user(session: Session, *, actor: Actor, user_id: int) -> User:
    """Deactivate a staff account: it can no longer log in, and its open sessions are dropped."""
    return set_user_active(session, actor=actor, user_id=user_id, active=False)


def reset_password(session: Session, *, actor: Actor, user_id: int, password: str) -> User:
    """An admin sets a new password for another account (the user's sessions end: they log in again)."""
    with atomic(session):
        user = _user_in_org(session, actor, user_id)
        require_role(actor, Role.admin, what="reset passwords")
        check_password(password, known_words=(user.username, user.display_name))
        user.password_hash = hash_password(password)
        user.session_generation = (user.session_generation or 0) + 1
        # Never the password or its hash: only that it happened, and to whom.
        record(
            session,
            actor=actor,
            action="user.password_reset",
            org_id=user.org_id,
            details={"user_id": user.id, "username": user.username},
        )
    return user


def end_sessions(session: Session, *, actor: Actor, user_id: int) -> User:
    """Sign an account out everywhere: every session of it ends, copied cookies included (a lost laptop).

    Admins may do it to any account of their organisation; anyone to their own.
    """
    with atomic(session):
        user = _user_in_org(session, actor, user_id)
        if actor.user_id != user.id:
            require_role(actor, Role.admin, what="sign other users out")
        user.session_generation = (user.session_generation or 0) + 1
        record(
            session,
            actor=actor,
            action="user.sessions_ended",
            org_id=user.org_id,
            details={"user_id": user.id, "username": user.username},
        )
    return user


def _user_dict(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role,
        "department_id": user.department_id,
        "on_duty": user.on_duty,
    }
