"""State changes of the organisation domain: one function each, owning its transaction and audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_role, same_org
from sotong.audit.service import record
from sotong.db import atomic
from sotong.errors import InvalidInput, NotFound
from sotong.orgs.models import Category, Channel, ChannelAccount, Department, Organisation, User, check_business_hours
from sotong.orgs.passwords import MIN_PASSWORD_LENGTH, hash_password
from sotong.orgs.service import department_in, get_row


def create_organisation(
    session: Session,
    *,
    actor: Actor,
    slug: str,
    name: str,
    short_name: str,
    parent_id: int | None = None,
    work_start: dt.time = dt.time(9, 0),
    work_end: dt.time = dt.time(18, 0),
    lunch_start: dt.time | None = dt.time(12, 0),
    lunch_end: dt.time | None = dt.time(13, 0),
    timezone: str = "Asia/Seoul",
) -> Organisation:
    """Create an organisation (a city or a district) with its business hours."""
    if actor.is_staff:
        raise InvalidInput("organisations are created by the deployment's operator (CLI), not by staff")
    check_business_hours(work_start, work_end, lunch_start, lunch_end)
    if not slug or not slug.replace("-", "").isalnum() or not slug.isascii():
        raise InvalidInput("slug must be ASCII letters, digits and dashes")
    org = Organisation(
        slug=slug,
        name=name,
        short_name=short_name,
        parent_id=parent_id,
        work_start=work_start,
        work_end=work_end,
        lunch_start=lunch_start,
        lunch_end=lunch_end,
        timezone=timezone,
    )
    try:
        with atomic(session):
            if parent_id is not None:
                get_row(session, Organisation, parent_id, "parent organisation")
            session.add(org)
            session.flush()
            # Every organisation takes complaints from the public web form through this account.
            session.add(
                ChannelAccount(org_id=org.id, channel=Channel.web, handle="web-form", display_name=f"{name} 웹 민원")
            )
            record(session, actor=actor, action="org.created", org_id=org.id, after={"slug": slug, "name": name})
    except IntegrityError as exc:
        raise InvalidInput(f"an organisation with slug {slug!r} or short name {short_name!r} exists") from exc
    return org


def create_department(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    name: str,
    code: str | None = None,
    email: str | None = None,
) -> Department:
    """Add a department (부서) to an organisation."""
    department = Department(org_id=org_id, name=name, code=code, email=email)
    try:
        with atomic(session):
            get_row(session, Organisation, org_id, "organisation")
            same_org(actor, org_id)
            require_role(actor, Role.admin, what="create departments")
            session.add(department)
            session.flush()
            record(
                session,
                actor=actor,
                action="department.created",
                org_id=org_id,
                after={"id": department.id, "name": name},
            )
    except IntegrityError as exc:
        raise InvalidInput(
            f"department {name!r} already exists in this organisation", field="name", code="department_exists"
        ) from exc
    return department


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
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters", field="password", code="password_short"
        )
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
            get_row(session, Organisation, org_id, "organisation")
            same_org(actor, org_id)
            require_role(actor, Role.admin, what="create users")
            if department_id is not None:
                department: Department = get_row(session, Department, department_id, "department")
                if department.org_id != org_id:
                    raise NotFound(f"unknown department {department_id} in this organisation")
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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    with atomic(session):
        user: User = get_row(session, User, user_id, "user")
        same_org(actor, user.org_id)
        if actor.user_id != user.id:
            require_role(actor, Role.admin, what="change another user's password")
        user.password_hash = hash_password(password)
        record(
            session,
            actor=actor,
            action="user.password_changed",
            org_id=user.org_id,
            details={"user_id": user.id},
        )
    return user


def create_channel_account(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    channel: Channel,
    handle: str,
    display_name: str | None = None,
    department_id: int | None = None,
    config: dict[str, Any] | None = None,
    reply_via_account_id: int | None = None,
) -> ChannelAccount:
    """Register an official account of the organisation on a channel (optionally answering via another one)."""
    account = ChannelAccount(
        org_id=org_id,
        channel=channel,
        handle=handle,
        display_name=display_name or handle,
        department_id=department_id,
        config=config or {},
        reply_via_account_id=reply_via_account_id,
    )
    try:
        with atomic(session):
            get_row(session, Organisation, org_id, "organisation")
            same_org(actor, org_id)
            require_role(actor, Role.admin, what="manage channel accounts")
            if department_id is not None:
                department_in(session, org_id, department_id)
            if reply_via_account_id is not None:
                # A personal account (the mayor's) is answered from the organisation's own centre account.
                via = session.get(ChannelAccount, reply_via_account_id)
                if via is None or via.org_id != org_id:
                    raise NotFound(f"unknown channel account {reply_via_account_id} in this organisation")
            session.add(account)
            session.flush()
            record(
                session,
                actor=actor,
                action="channel_account.created",
                org_id=org_id,
                after={
                    "id": account.id,
                    "channel": channel,
                    "handle": handle,
                    "reply_via_account_id": reply_via_account_id,
                },
            )
    except IntegrityError as exc:
        raise InvalidInput(f"{channel.value} account {handle!r} already exists") from exc
    return account


def create_category(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    code: str,
    name: str,
    department_id: int | None = None,
    description: str | None = None,
) -> Category:
    """Add a category to the organisation's taxonomy, with the department that handles it."""
    category = Category(org_id=org_id, code=code, name=name, department_id=department_id, description=description)
    try:
        with atomic(session):
            get_row(session, Organisation, org_id, "organisation")
            same_org(actor, org_id)
            require_role(actor, Role.admin, what="manage categories")
            if department_id is not None:
                department_in(session, org_id, department_id)
            session.add(category)
            session.flush()
            record(
                session,
                actor=actor,
                action="category.created",
                org_id=org_id,
                after={"id": category.id, "code": code, "name": name, "department_id": department_id},
            )
    except IntegrityError as exc:
        raise InvalidInput(f"category {code!r} already exists", field="code", code="category_exists") from exc
    return category


# --------------------------------------------------------------------------------------------- administration
# The staff console's administration pages change an organisation's set-up through these. Refusals carry a
# `field` (the form field at fault) and a `code` (a stable key the console translates), besides the message.


def update_department(
    session: Session,
    *,
    actor: Actor,
    department_id: int,
    name: str,
    code: str | None = None,
    email: str | None = None,
) -> Department:
    """Rename a department or change its code and e-mail address."""
    name = name.strip()
    if not name:
        raise InvalidInput("a department needs a name", field="name", code="required")
    try:
        with atomic(session):
            department: Department = get_row(session, Department, department_id, "department")
            same_org(actor, department.org_id)
            require_role(actor, Role.admin, what="edit departments")
            before = {"name": department.name, "code": department.code, "email": department.email}
            department.name, department.code, department.email = name, code, email
            session.flush()
            record(
                session,
                actor=actor,
                action="department.updated",
                org_id=department.org_id,
                before=before,
                after={"name": name, "code": code, "email": email},
                details={"department_id": department.id},
            )
    except IntegrityError as exc:
        raise InvalidInput(
            f"department {name!r} already exists in this organisation", field="name", code="department_exists"
        ) from exc
    return department


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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters", field="password", code="password_short"
        )
    with atomic(session):
        user = _user_in_org(session, actor, user_id)
        require_role(actor, Role.admin, what="reset passwords")
        user.password_hash = hash_password(password)
        # Never the password or its hash: only that it happened, and to whom.
        record(
            session,
            actor=actor,
            action="user.password_reset",
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


def update_category(
    session: Session,
    *,
    actor: Actor,
    category_id: int,
    code: str,
    name: str,
    department_id: int | None = None,
    description: str | None = None,
) -> Category:
    """Rename a category or map it to another department (new cases of the category go there)."""
    code, name = code.strip(), name.strip()
    if not code:
        raise InvalidInput("a category needs a code", field="code", code="required")
    if not name:
        raise InvalidInput("a category needs a name", field="name", code="required")
    try:
        with atomic(session):
            category: Category = get_row(session, Category, category_id, "category")
            same_org(actor, category.org_id)
            require_role(actor, Role.admin, what="manage categories")
            if department_id is not None:
                department_in(session, category.org_id, department_id)
            before = _category_dict(category)
            category.code, category.name = code, name
            category.department_id, category.description = department_id, description
            session.flush()
            record(
                session,
                actor=actor,
                action="category.updated",
                org_id=category.org_id,
                before=before,
                after=_category_dict(category),
                details={"category_id": category.id},
            )
    except IntegrityError as exc:
        raise InvalidInput(f"category {code!r} already exists", field="code", code="category_exists") from exc
    return category


def _category_dict(category: Category) -> dict[str, Any]:
    return {
        "code": category.code,
        "name": category.name,
        "department_id": category.department_id,
        "description": category.description,
    }
