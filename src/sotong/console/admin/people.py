"""Departments (부서) and staff accounts: list, create, edit; roles, passwords, deactivation."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role
from sotong.console.admin.common import done, own_row, page, router
from sotong.console.admin.forms import AdminActor, Form, FormData
from sotong.errors import InvalidInput
from sotong.orgs import actions
from sotong.orgs.models import Department, User
from sotong.orgs.passwords import MIN_PASSWORD_LENGTH
from sotong.orgs.service import organisation
from sotong.web.deps import DbSession

ROLES_WITH_DEPARTMENT = (Role.dept_manager, Role.officer)


def _departments(db: Session, org_id: int | None) -> list[Department]:
    return list(db.scalars(select(Department).where(Department.org_id == org_id).order_by(Department.name)))


# --------------------------------------------------------------------------------------------- departments


def _departments_page(request: Request, db: Session, actor: Actor, form: Form | None = None) -> Response:
    counts = dict(
        db.execute(
            select(User.department_id, func.count())
            .where(User.org_id == actor.org_id, User.is_active.is_(True))
            .group_by(User.department_id)
        ).all()
    )
    return page(
        request,
        "departments.html",
        {"departments": _departments(db, actor.org_id), "user_counts": counts},
        form,
    )


@router.get("/departments")
def department_list(request: Request, db: DbSession, actor: AdminActor) -> Response:
    """Every department of the organisation, with the form to add one."""
    return _departments_page(request, db, actor)


def _department_fields(form: Form) -> dict[str, Any]:
    return {
        "name": form.text("name", required=True),
        "code": form.text("code", max_length=32),
        "email": _email(form, "email"),
        "phone": form.text("phone", max_length=40),
    }


def _email(form: Form, name: str) -> str | None:
    value = form.text(name, max_length=254)
    if value is not None and ("@" not in value or value.startswith("@") or value.endswith("@")):
        form.error(name, "not_email")
        return None
    return value


@router.post("/departments")
def department_create(request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Add a department."""
    form = Form(request, values)
    fields = _department_fields(form)
    if form.ok:
        try:
            actions.create_department(db, actor=actor, org_id=actor.org_id or 0, **fields)
        except InvalidInput as exc:
            form.refused(exc)
    if not form.ok:
        return _departments_page(request, db, actor, form)
    return done(request, "/staff/admin/departments", "admin.saved.department", name=fields["name"])


@router.get("/departments/{department_id}")
def department_edit(department_id: int, request: Request, db: DbSession, actor: AdminActor) -> Response:
    """The edit form of one department."""
    department = own_row(db, Department, department_id, actor)
    values = {
        "name": department.name,
        "code": department.code or "",
        "email": department.email or "",
        "phone": department.phone or "",
    }
    return page(request, "department_edit.html", {"department": department}, values=values)


@router.post("/departments/{department_id}")
def department_update(
    department_id: int, request: Request, db: DbSession, actor: AdminActor, values: FormData
) -> Response:
    """Save a department's name, code and e-mail address."""
    department = own_row(db, Department, department_id, actor)
    form = Form(request, values)
    fields = _department_fields(form)
    if form.ok:
        try:
            actions.update_department(db, actor=actor, department_id=department.id, **fields)
        except InvalidInput as exc:
            db.rollback()
            form.refused(exc)
    if not form.ok:
        return page(request, "department_edit.html", {"department": department}, form)
    return done(request, "/staff/admin/departments", "admin.saved.department", name=fields["name"])


# --------------------------------------------------------------------------------------------- users


def _users_page(request: Request, db: Session, actor: Actor, form: Form | None = None) -> Response:
    users = list(db.scalars(select(User).where(User.org_id == actor.org_id).order_by(User.username)))
    departments = _departments(db, actor.org_id)
    return page(
        request,
        "users.html",
        {
            "users": users,
            "departments": departments,
            "department_names": {d.id: d.name for d in departments},
            "roles": list(Role),
            "min_password": MIN_PASSWORD_LENGTH,
            "require_two_factor": organisation(db, actor.org_id or 0).require_two_factor,
        },
        form,
        values={"role": Role.officer.value},
    )


@router.get("/users")
def user_list(request: Request, db: DbSession, actor: AdminActor) -> Response:
    """Every staff account of the organisation, with the form to add one."""
    return _users_page(request, db, actor)


def _role_and_department(form: Form, db: Session, actor: Actor) -> tuple[Role | None, int | None]:
    role = form.choice("role", Role, required=True)
    department_id = form.ref("department_id", {d.id for d in _departments(db, actor.org_id)})
    if role in ROLES_WITH_DEPARTMENT and department_id is None and "department_id" not in form.errors:
        form.error("department_id", "role_needs_department")
    return role, department_id


@router.post("/users")
def user_create(request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Add a staff account with its role, department and first password."""
    form = Form(request, values)
    username = form.text("username", required=True, max_length=64)
    if username is not None and (not username.isascii() or " " in username):
        form.error("username", "username_chars")
    display_name = form.text("display_name", required=True)
    email = _email(form, "email")
    role, department_id = _role_and_department(form, db, actor)
    password = form.values.get("password", "")
    if len(password) < MIN_PASSWORD_LENGTH:
        form.error("password", "password_short")
    # Checked here too so the form can say which field; the unique index still decides under a race.
    if username and "username" not in form.errors and db.scalar(select(User.id).where(User.username == username)):
        form.error("username", "username_taken")
    if form.ok and username and role:
        try:
            actions.create_user(
                db,
                actor=actor,
                org_id=actor.org_id or 0,
                username=username,
                password=password,
                role=role,
                display_name=display_name,
                department_id=department_id,
                email=email,
            )
        except InvalidInput as exc:
            form.refused(exc)
    if not form.ok:
        form.values.pop("password", None)  # never echoed back into the page
        return _users_page(request, db, actor, form)
    return done(request, "/staff/admin/users", "admin.saved.user", name=username)


def _user_page(request: Request, db: Session, actor: Actor, user: User, form: Form | None = None) -> Response:
    values = {
        "display_name": user.display_name,
        "email": user.email or "",
        "department_id": str(user.department_id or ""),
        "on_duty": "1" if user.on_duty else "",
        "role": user.role.value,
    }
    return page(
        request,
        "user_edit.html",
        {
            "account": user,
            "departments": _departments(db, actor.org_id),
            "roles": list(Role),
            "min_password": MIN_PASSWORD_LENGTH,
            "is_self": user.id == actor.user_id,
        },
        form,
        values=values,
    )


@router.get("/users/{user_id}")
def user_edit(user_id: int, request: Request, db: DbSession, actor: AdminActor) -> Response:
    """One account: profile, role, password reset, deactivation."""
    return _user_page(request, db, actor, own_row(db, User, user_id, actor))


def _after_refusal(request: Request, db: Session, actor: Actor, user_id: int, form: Form) -> Response:
    db.rollback()
    user = own_row(db, User, user_id, actor)
    # The other forms of the page show the stored values; only the failed one keeps what was typed.
    base = {
        "display_name": user.display_name,
        "email": user.email or "",
        "department_id": str(user.department_id or ""),
        "on_duty": "1" if user.on_duty else "",
        "role": user.role.value,
    }
    form.values = {**base, **{k: v for k, v in form.values.items() if k != "password"}}
    return _user_page(request, db, actor, user, form)


@router.post("/users/{user_id}")
def user_update(user_id: int, request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Save an account's name, e-mail, department and on-duty flag."""
    user = own_row(db, User, user_id, actor)
    form = Form(request, values)
    display_name = form.text("display_name", required=True)
    email = _email(form, "email")
    department_id = form.ref("department_id", {d.id for d in _departments(db, actor.org_id)})
    if form.ok and display_name:
        try:
            actions.update_user(
                db,
                actor=actor,
                user_id=user.id,
                display_name=display_name,
                email=email,
                department_id=department_id,
                on_duty=form.checkbox("on_duty"),
            )
        except InvalidInput as exc:
            form.refused(exc)
    if not form.ok:
        return _after_refusal(request, db, actor, user_id, form)
    return done(request, f"/staff/admin/users/{user_id}", "admin.saved.user", name=user.username)


@router.post("/users/{user_id}/role")
def user_role(user_id: int, request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Give an account another role (and department, for managers and officers)."""
    user = own_row(db, User, user_id, actor)
    form = Form(request, values)
    role, department_id = _role_and_department(form, db, actor)
    if form.ok and role:
        try:
            actions.change_role(db, actor=actor, user_id=user.id, role=role, department_id=department_id)
        except InvalidInput as exc:
            form.refused(exc)
    if not form.ok:
        return _after_refusal(request, db, actor, user_id, form)
    return done(request, f"/staff/admin/users/{user_id}", "admin.saved.role", name=user.username)


@router.post("/users/{user_id}/password")
def user_password(user_id: int, request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Set a new password for an account (its sessions end)."""
    user = own_row(db, User, user_id, actor)
    form = Form(request, values)
    password = form.values.get("password", "")
    if len(password) < MIN_PASSWORD_LENGTH:
        form.error("password", "password_short")
    elif password != form.values.get("password_again", ""):
        form.error("password_again", "password_mismatch")
    if form.ok:
        try:
            actions.reset_password(db, actor=actor, user_id=user.id, password=password)
        except InvalidInput as exc:
            form.refused(exc)
    if not form.ok:
        return _after_refusal(request, db, actor, user_id, form)
    return done(request, f"/staff/admin/users/{user_id}", "admin.saved.password", name=user.username)


@router.post("/users/{user_id}/active")
def user_active(user_id: int, request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Deactivate an account, or activate it again."""
    user = own_row(db, User, user_id, actor)
    form = Form(request, values)
    active = form.checkbox("active")
    try:
        actions.set_user_active(db, actor=actor, user_id=user.id, active=active)
    except InvalidInput as exc:
        form.refused(exc)
        # The form is a single button: its refusal is about the whole form, not a field.
        form.errors = {"_form": next(iter(form.errors.values()))}
        return _after_refusal(request, db, actor, user_id, form)
    key = "admin.saved.activated" if active else "admin.saved.deactivated"
    return done(request, f"/staff/admin/users/{user_id}", key, name=user.username)


@router.post("/users/{user_id}/sessions")
def user_sessions(user_id: int, request: Request, db: DbSession, actor: AdminActor) -> Response:
    """Sign an account out everywhere (a lost laptop, a shared screen): every session of it ends at once."""
    user = own_row(db, User, user_id, actor)
    actions.end_sessions(db, actor=actor, user_id=user.id)
    return done(request, f"/staff/admin/users/{user_id}", "security.saved.sessions_ended", name=user.username)


@router.post("/two-factor")
def two_factor_required(request: Request, db: DbSession, actor: AdminActor, values: FormData) -> Response:
    """Require two-factor sign-in of every staff member of the organisation, or make it optional again."""
    required = Form(request, values).checkbox("required")
    actions.set_two_factor_required(db, actor=actor, org_id=actor.org_id or 0, required=required)
    key = "security.saved.two_factor_required" if required else "security.saved.two_factor_optional"
    return done(request, "/staff/admin/users", key)


@router.post("/users/{user_id}/two-factor/reset")
def user_two_factor_reset(user_id: int, request: Request, db: DbSession, actor: AdminActor) -> Response:
    """Turn an account's two-factor sign-in off (a lost phone); its sessions end, it enrols again."""
    user = own_row(db, User, user_id, actor)
    actions.reset_two_factor(db, actor=actor, user_id=user.id)
    return done(request, f"/staff/admin/users/{user_id}", "security.saved.two_factor_reset", name=user.username)
