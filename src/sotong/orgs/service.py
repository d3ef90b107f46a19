"""Reading the organisation domain: an organisation or a department by the name people type (queries only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.errors import NotFound
from sotong.orgs.models import Department, Organisation


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
