"""`sotong org|dept|user create` and `sotong categories`: organisations, their departments, staff accounts and
categories (분야), through the org actions."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from sotong.actors import CLI, Role
from sotong.cli_support import console, ok, parse_enum, session_scope
from sotong.db import utcnow
from sotong.errors import NotFound
from sotong.orgs import actions, tokens
from sotong.orgs.actions import tokens as token_actions
from sotong.orgs.models import ApiToken, Category, Department
from sotong.orgs.service import department_by_name, organisation_by_slug
from sotong.orgs.taxonomy import standard_categories

org_app = typer.Typer(help="Organisations (a city, a district).", no_args_is_help=True)
dept_app = typer.Typer(help="Departments (부서) of an organisation.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
category_app = typer.Typer(
    help="Categories (분야) of an organisation and the standard taxonomy the seed model predicts.", no_args_is_help=True
)


@org_app.command("create")
def org_create(
    slug: str = typer.Option(..., help="ASCII identifier, e.g. songpa."),
    name: str = typer.Option(..., help="Full name, e.g. 송파구."),
    short_name: str = typer.Option(..., help="Short form used in case numbers, e.g. 송파."),
    parent: str | None = typer.Option(None, help="Slug of the parent organisation (the city of a district)."),
    standard_categories: bool = typer.Option(
        True, help="Give it the standard categories (sotong categories standard) the seed model predicts."
    ),
) -> None:
    """Create an organisation (with the standard categories unless told not to)."""
    with session_scope() as session:
        parent_id = organisation_by_slug(session, parent).id if parent else None
        org = actions.create_organisation(
            session, actor=CLI, slug=slug, name=name, short_name=short_name, parent_id=parent_id
        )
        ok(f"organisation {org.name} ({org.slug}) created")
        if standard_categories:
            created = actions.import_standard_categories(session, actor=CLI, org_id=org.id)
            ok(
                f"{len(created)} standard categories added; give each a department: "
                f"sotong dept create, then sotong categories import --org {slug} (or categories map)"
            )


@dept_app.command("create")
def dept_create(
    org: str = typer.Option(..., help="Organisation slug."),
    name: str = typer.Option(..., help="Department name, e.g. 도로과."),
    code: str | None = typer.Option(None, help="Short ASCII code, e.g. roads."),
    email: str | None = typer.Option(None, help="The department's e-mail address."),
) -> None:
    """Add a department to an organisation."""
    with session_scope() as session:
        organisation = organisation_by_slug(session, org)
        department = actions.create_department(
            session, actor=CLI, org_id=organisation.id, name=name, code=code, email=email
        )
        ok(f"department {department.name} created in {organisation.name}")


_ROLES = ", ".join(r.value for r in Role)


_ROLES = ", ".join(r.value for r in Role)


@user_app.command("create")
def user_create(
    org: str = typer.Option(..., help="Organisation slug."),
    username: str = typer.Option(..., help="Login name."),
    role: str = typer.Option(..., help=f"One of: {_ROLES}."),
    department: str | None = typer.Option(None, help="Department name (managers and officers need one)."),
    display_name: str | None = typer.Option(None, help="Name shown to colleagues."),
    email: str | None = typer.Option(None, help="E-mail address."),
    password: str | None = typer.Option(None, help="Password; asked for (hidden) when absent."),
) -> None:
    """Create a staff account."""
    parsed_role = parse_enum(Role, role, "role")
    with session_scope() as session:
        organisation = organisation_by_slug(session, org)
        department_id = department_by_name(session, organisation, department).id if department else None
        if password is None:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        user = actions.create_user(
            session,
            actor=CLI,
            org_id=organisation.id,
            username=username,
            password=password,
            role=parsed_role,
            display_name=display_name,
            department_id=department_id,
            email=email,
        )
        ok(f"user {user.username} ({user.role.value}) created in {organisation.name}")


@category_app.command("standard")
def category_standard() -> None:
    """The standard taxonomy Sotong ships: code, name, complaint type, usual department."""
    table = Table("code", "name", "type", "usual department", "covers")
    for c in standard_categories():
        table.add_row(c.code, c.name, c.complaint_type, c.department, escape(c.description))
    console.print(table)


@category_app.command("list")
def category_list(org: str = typer.Option(..., help="Organisation slug.")) -> None:
    """An organisation's categories with their department and the standard category each stands for."""
    with session_scope() as session:
        organisation = organisation_by_slug(session, org)
        departments = {
            d.id: d.name for d in session.scalars(select(Department).where(Department.org_id == organisation.id))
        }
        categories = session.scalars(select(Category).where(Category.org_id == organisation.id).order_by(Category.code))
        table = Table("code", "name", "department", "standard")
        mapped: set[str] = set()
        for c in categories:
            table.add_row(c.code, c.name, departments.get(c.department_id or 0, "-"), c.standard_code or "-")
            mapped |= {c.code, c.standard_code or ""}
        console.print(table)
        missing = [s.code for s in standard_categories() if s.code not in mapped]
        if missing:
            console.print(f"standard categories nothing routes to yet: {', '.join(missing)}")


@category_app.command("import")
def category_import(
    org: str = typer.Option(..., help="Organisation slug."),
    create_departments: bool = typer.Option(
        False, "--create-departments", help="Create the usual department of a category when the organisation lacks it."
    ),
) -> None:
    """Give the organisation every standard category it lacks, each in the department of the usual name."""
    with session_scope() as session:
        organisation = organisation_by_slug(session, org)
        created = actions.import_standard_categories(
            session, actor=CLI, org_id=organisation.id, create_departments=create_departments
        )
        without = [c.code for c in created if c.department_id is None]
        ok(f"{len(created)} standard categories added to {organisation.name}")
        if without:
            console.print(
                f"without a department (map them: sotong categories map --org {org} --code CODE --department NAME): "
                + ", ".join(without)
            )


@category_app.command("create")
def category_create(
    org: str = typer.Option(..., help="Organisation slug."),
    code: str = typer.Option(..., help="The organisation's own code, e.g. road-damage."),
    name: str = typer.Option(..., help="Name shown to staff and citizens, e.g. 도로 파손."),
    department: str | None = typer.Option(None, help="Department name that handles it."),
    standard: str | None = typer.Option(None, help="The standard category it stands for (sotong categories standard)."),
) -> None:
    """Add a category of the organisation's own."""
    with session_scope() as session:
        organisation = organisation_by_slug(session, org)
        department_id = department_by_name(session, organisation, department).id if department else None
        category = actions.create_category(
            session,
            actor=CLI,
            org_id=organisation.id,
            code=code,
            name=name,
            department_id=department_id,
            standard_code=standard,
        )
        ok(f"category {category.code} created in {organisation.name}")


@category_app.command("map")
def category_map(
    org: str = typer.Option(..., help="Organisation slug."),
    code: str = typer.Option(..., help="The organisation's category code."),
    department: str | None = typer.Option(None, help="Department name that handles it (omit: none)."),
    standard: str | None = typer.Option(None, help="The standard category it stands for (omit: keep as is)."),
) -> None:
    """Map a category onto its department and onto a standard category."""
    with session_scope() as session:
        organisation = organisation_by_slug(session, org)
        category = session.scalar(select(Category).where(Category.org_id == organisation.id, Category.code == code))
        if category is None:
            raise NotFound(f"unknown category {code!r} in {organisation.name}")
        department_id = department_by_name(session, organisation, department).id if department else None
        actions.map_category(
            session,
            actor=CLI,
            category_id=category.id,
            standard_code=standard if standard is not None else category.standard_code,
            department_id=department_id,
        )
        ok(f"category {code} → {department or '-'} (standard {category.standard_code or '-'})")


token_app = typer.Typer(
    help="API tokens of machine clients of the JSON API (Authorization: Bearer ...).", no_args_is_help=True
)


@token_app.command("create")
def token_create(
    org: str = typer.Option(..., help="Organisation slug."),
    name: str = typer.Option(..., help="The system that will use the token."),
    scope: list[str] = typer.Option(..., help=f"A scope, repeatable: {', '.join(tokens.SCOPES)}."),
    expires_in_days: int | None = typer.Option(None, help="Days until it stops working (default: never)."),
) -> None:
    """Issue a token. It is printed once: only its hash is stored."""
    with session_scope() as session:
        token, plain = token_actions.create_token(
            session,
            actor=CLI,
            org_id=organisation_by_slug(session, org).id,
            name=name,
            scopes=scope,
            expires_in_days=expires_in_days,
        )
        ok(f"token {token.id} for {token.name!r} ({token.scopes})")
        console.print(f"[bold]{escape(plain)}[/bold]")
        console.print("Store it now; it cannot be shown again.")


@token_app.command("list")
def token_list(org: str = typer.Option(..., help="Organisation slug.")) -> None:
    """The organisation's tokens (prefix only): scopes, expiry, last use, revoked or not."""
    with session_scope() as session:
        org_id = organisation_by_slug(session, org).id
        table = Table("id", "name", "prefix", "scopes", "expires", "last used", "state")
        now = utcnow()
        for token in session.scalars(select(ApiToken).where(ApiToken.org_id == org_id).order_by(ApiToken.id)):
            expired = token.expires_at is not None and token.expires_at <= now
            state = "revoked" if token.revoked_at else "expired" if expired else "active"
            table.add_row(
                str(token.id),
                escape(token.name),
                token.prefix + "…",
                token.scopes,
                f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "-",
                f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "-",
                state,
            )
        console.print(table)


@token_app.command("revoke")
def token_revoke(org: str = typer.Option(..., help="Organisation slug."), token_id: int = typer.Argument(...)) -> None:
    """Stop a token at once (kept for the audit trail)."""
    with session_scope() as session:
        token_actions.revoke_token(session, actor=CLI, org_id=organisation_by_slug(session, org).id, token_id=token_id)
        ok(f"token {token_id} revoked")
