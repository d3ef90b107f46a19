"""Reading the organisation domain: rows by id, an organisation or a department by the name people type
(queries only; a row that is not there is NotFound)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.errors import NotFound
from sotong.orgs.models import Category, Department, Organisation

Row = TypeVar("Row")


def organisation_by_slug(session: Session, slug: str) -> Organisation:
    """The organisation with this slug, or NotFound listing the known ones (slugs are public: the portal's)."""
    org = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        known = ", ".join(session.scalars(select(Organisation.slug).order_by(Organisation.slug))) or "none yet"
        raise NotFound(f"unknown organisation {slug!r} (known: {known})")
    return org


def department_by_name(session: Session, org: Organisation, name: str) -> Department:
    """The organisation's department with this name, or NotFound listing the known ones."""
    department = session.scalar(select(Department).where(Department.org_id == org.id, Department.name == name))
    if department is None:
        names = session.scalars(select(Department.name).where(Department.org_id == org.id).order_by(Department.name))
        known = ", ".join(names) or "none yet"
        raise NotFound(f"unknown department {name!r} in {org.name} (known: {known})")
    return department


def get_row(session: Session, model: type[Row], row_id: int, what: str) -> Row:
    """The row of `model` with this id, or NotFound("unknown <what> <id>")."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"unknown {what} {row_id}")
    return row


def organisation(session: Session, org_id: int) -> Organisation:
    """The organisation with this id, or NotFound."""
    return get_row(session, Organisation, org_id, "organisation")


def department_in(session: Session, org_id: int, department_id: int) -> Department:
    """The department with this id if it belongs to the organisation, else NotFound."""
    department = session.get(Department, department_id)
    if department is None or department.org_id != org_id:
        raise NotFound(f"unknown department {department_id} in this organisation")
    return department


def category_in(session: Session, org_id: int, category_id: int) -> Category:
    """The category with this id if it belongs to the organisation, else NotFound."""
    category = session.get(Category, category_id)
    if category is None or category.org_id != org_id:
        raise NotFound(f"unknown category {category_id} in this organisation")
    return category
