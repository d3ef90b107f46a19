"""Organisations, their departments and categories (분야 → 부서): created and changed, one audited action each.

Administration pages pass refusals on with a `field` (the form field at fault) and a `code` the console translates.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_role, same_org
from sotong.audit.service import record
from sotong.db import atomic
from sotong.errors import InvalidInput
from sotong.orgs.models import (
    CHATTER_REPLIES,
    Category,
    Channel,
    ChannelAccount,
    Department,
    Organisation,
    check_business_hours,
)
from sotong.orgs.service import department_in, get_row, organisation
from sotong.orgs.taxonomy import standard_categories, standard_category

# update_category's "leave the standard category as it is" (None would remove the mapping).
KEEP = "\x00keep"


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


_PHONE = re.compile(r"^[0-9+][0-9 ()\-]{2,38}$")


def _phone(value: str | None) -> str | None:
    """A department's office number as published (02-2147-2000), or None; InvalidInput for anything else."""
    value = (value or "").strip()
    if not value:
        return None
    if not _PHONE.match(value):
        raise InvalidInput("a phone number has digits, spaces, dashes and brackets only", field="phone", code="invalid")
    return value


def create_department(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    name: str,
    code: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> Department:
    """Add a department (부서) to an organisation."""
    department = Department(org_id=org_id, name=name, code=code, email=email, phone=_phone(phone))
    try:
        with atomic(session):
            organisation(session, org_id)
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


def create_category(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    code: str,
    name: str,
    department_id: int | None = None,
    description: str | None = None,
    standard_code: str | None = None,
) -> Category:
    """Add a category to the organisation's taxonomy, with the department that handles it and the standard
    category (orgs/taxonomy.tsv) it stands for."""
    _check_standard(standard_code)
    category = Category(
        org_id=org_id,
        code=code,
        name=name,
        department_id=department_id,
        description=description,
        standard_code=standard_code or None,
    )
    try:
        with atomic(session):
            organisation(session, org_id)
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
                after={
                    "id": category.id,
                    "code": code,
                    "name": name,
                    "department_id": department_id,
                    "standard_code": category.standard_code,
                },
            )
    except IntegrityError as exc:
        raise InvalidInput(f"category {code!r} already exists", field="code", code="category_exists") from exc
    return category


def update_department(
    session: Session,
    *,
    actor: Actor,
    department_id: int,
    name: str,
    code: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> Department:
    """Rename a department or change its code, e-mail address and office phone (which signs public answers)."""
    name = name.strip()
    if not name:
        raise InvalidInput("a department needs a name", field="name", code="required")
    phone = _phone(phone)
    try:
        with atomic(session):
            department: Department = get_row(session, Department, department_id, "department")
            same_org(actor, department.org_id)
            require_role(actor, Role.admin, what="edit departments")
            before = {"name": department.name, "code": department.code, "email": department.email}
            before["phone"] = department.phone
            department.name, department.code, department.email = name, code, email
            department.phone = phone
            session.flush()
            record(
                session,
                actor=actor,
                action="department.updated",
                org_id=department.org_id,
                before=before,
                after={"name": name, "code": code, "email": email, "phone": phone},
                details={"department_id": department.id},
            )
    except IntegrityError as exc:
        raise InvalidInput(
            f"department {name!r} already exists in this organisation", field="name", code="department_exists"
        ) from exc
    return department


def update_category(
    session: Session,
    *,
    actor: Actor,
    category_id: int,
    code: str,
    name: str,
    department_id: int | None = None,
    description: str | None = None,
    standard_code: str | None = KEEP,
) -> Category:
    """Rename a category or map it to another department (new cases of the category go there) and to another
    standard category (`KEEP`, the default, leaves that mapping as it is)."""
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
            if standard_code != KEEP:
                _check_standard(standard_code)
                category.standard_code = standard_code or None
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
        "standard_code": category.standard_code,
    }


def _check_standard(standard_code: str | None) -> None:
    if standard_code and standard_category(standard_code) is None:
        raise InvalidInput(
            f"{standard_code!r} is not a standard category code", field="standard_code", code="unknown_standard"
        )


def map_category(
    session: Session,
    *,
    actor: Actor,
    category_id: int,
    standard_code: str | None,
    department_id: int | None,
) -> Category:
    """Map a category onto a standard category (what the seed model predicts) and onto its department."""
    _check_standard(standard_code)
    with atomic(session):
        category: Category = get_row(session, Category, category_id, "category")
        same_org(actor, category.org_id)
        require_role(actor, Role.admin, what="manage categories")
        if department_id is not None:
            department_in(session, category.org_id, department_id)
        before = _category_dict(category)
        category.standard_code, category.department_id = standard_code or None, department_id
        session.flush()
        record(
            session,
            actor=actor,
            action="category.mapped",
            org_id=category.org_id,
            before=before,
            after=_category_dict(category),
            details={"category_id": category.id},
        )
    return category


def import_standard_categories(
    session: Session, *, actor: Actor, org_id: int, create_departments: bool = False
) -> list[Category]:
    """Give an organisation every standard category it lacks (neither its code nor a mapping onto it), each in
    the department of the usual name when the organisation has one (created first with `create_departments`).

    Run once on a new organisation, it routes from the first message with the shipped seed model; run again
    (after creating departments, or after the taxonomy grows) it adds only what is new and gives an imported
    category still without a department the department of the usual name. Returns the categories created.
    """
    with atomic(session):
        organisation(session, org_id)
        same_org(actor, org_id)
        require_role(actor, Role.admin, what="manage categories")
        existing = session.scalars(select(Category).where(Category.org_id == org_id)).all()
        covered = {c.code for c in existing} | {c.standard_code for c in existing if c.standard_code}
        departments = {d.name: d for d in session.scalars(select(Department).where(Department.org_id == org_id))}
        created: list[Category] = []
        for standard in standard_categories():
            if standard.code in covered:
                # Imported before any department existed: give it the usual department now, if there is one.
                own = next((c for c in existing if c.code == standard.code and c.standard_code == standard.code), None)
                usual = departments.get(standard.department)
                if own is not None and own.department_id is None and usual is not None:
                    own.department_id = usual.id
                continue
            department = departments.get(standard.department)
            if department is None and create_departments:
                department = Department(org_id=org_id, name=standard.department)
                session.add(department)
                session.flush()
                departments[department.name] = department
                record(
                    session,
                    actor=actor,
                    action="department.created",
                    org_id=org_id,
                    after={"id": department.id, "name": department.name},
                )
            category = Category(
                org_id=org_id,
                code=standard.code,
                name=standard.name,
                description=standard.description,
                standard_code=standard.code,
                department_id=department.id if department else None,
            )
            session.add(category)
            created.append(category)
        session.flush()
        if created:
            record(
                session,
                actor=actor,
                action="category.imported",
                org_id=org_id,
                after={"codes": [c.code for c in created]},
                details={"count": len(created)},
            )
    return created


def set_chatter_reply(session: Session, *, actor: Actor, org_id: int, reply: str) -> Organisation:
    """Choose what a message that is not a complaint is answered with: a polite acknowledgement, or nothing."""
    if reply not in CHATTER_REPLIES:
        raise InvalidInput(
            f"chatter reply must be one of {', '.join(CHATTER_REPLIES)}", field="chatter_reply", code="invalid"
        )
    with atomic(session):
        org = organisation(session, org_id)
        same_org(actor, org_id)
        require_role(actor, Role.admin, what="change the organisation's settings")
        before = {"chatter_reply": org.chatter_reply}
        org.chatter_reply = reply
        session.flush()
        record(
            session,
            actor=actor,
            action="org.chatter_reply_set",
            org_id=org_id,
            before=before,
            after={"chatter_reply": reply},
        )
    return org


def set_publication(
    session: Session, *, actor: Actor, org_id: int, auto_release: bool, sign_answers: bool
) -> Organisation:
    """Choose whether triage may publish a case without a person's review (when it is sure), and whether public
    answers are signed with the officer's name, department and phone (공무원 실명제)."""
    with atomic(session):
        org = organisation(session, org_id)
        same_org(actor, org_id)
        require_role(actor, Role.admin, what="change the organisation's settings")
        before = {"auto_release": org.auto_release, "sign_answers": org.sign_answers}
        org.auto_release, org.sign_answers = auto_release, sign_answers
        session.flush()
        record(
            session,
            actor=actor,
            action="org.publication_set",
            org_id=org_id,
            before=before,
            after={"auto_release": auto_release, "sign_answers": sign_answers},
        )
    return org
