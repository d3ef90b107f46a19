"""`sotong org|dept|user create`: organisations, their departments and staff accounts, through the org actions."""

from __future__ import annotations

import typer

from sotong.actors import CLI, Role
from sotong.cli_support import ok, parse_enum, session_scope
from sotong.orgs import actions
from sotong.orgs.service import department_by_name, organisation_by_slug

org_app = typer.Typer(help="Organisations (a city, a district).", no_args_is_help=True)
dept_app = typer.Typer(help="Departments (부서) of an organisation.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)


@org_app.command("create")
def org_create(
    slug: str = typer.Option(..., help="ASCII identifier, e.g. songpa."),
    name: str = typer.Option(..., help="Full name, e.g. 송파구."),
    short_name: str = typer.Option(..., help="Short form used in case numbers, e.g. 송파."),
    parent: str | None = typer.Option(None, help="Slug of the parent organisation (the city of a district)."),
) -> None:
    """Create an organisation."""
    with session_scope() as session:
        parent_id = organisation_by_slug(session, parent).id if parent else None
        org = actions.create_organisation(
            session, actor=CLI, slug=slug, name=name, short_name=short_name, parent_id=parent_id
        )
        ok(f"organisation {org.name} ({org.slug}) created")


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
