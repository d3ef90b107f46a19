"""`sotong sla create|closure`: deadline policies and closure days, through the deadline actions."""

from __future__ import annotations

import datetime as dt

import typer
from sqlalchemy import select

from sotong.actors import CLI
from sotong.cases.deadlines import actions as deadline_actions
from sotong.cases.models import ComplaintType, PeriodUnit
from sotong.cli_support import ok, parse_enum, session_scope
from sotong.errors import InvalidInput, NotFound
from sotong.orgs.models import Category, Channel
from sotong.orgs.service import department_by_name, organisation_by_slug

sla_app = typer.Typer(help="Deadline policies and the business calendar.", no_args_is_help=True)


@sla_app.command("create")
def sla_create(
    org: str = typer.Option(..., help="Organisation slug."),
    name: str = typer.Option(..., help="What the policy is for, e.g. 'X 30분 답변'."),
    priority: int = typer.Option(100, help="Lower wins when several policies match."),
    channel: str | None = typer.Option(None, help="Only for this channel (x, facebook, web, ...)."),
    category: str | None = typer.Option(None, help="Only for this category code."),
    department: str | None = typer.Option(None, help="Only for this department name."),
    complaint_type: str | None = typer.Option(None, "--type", help="Only for this complaint type."),
    value: int | None = typer.Option(None, help="Resolution period (with --unit)."),
    unit: str | None = typer.Option(None, help="hours (working hours) or days (working days)."),
    first_response: int | None = typer.Option(None, help="Receipt target in working minutes."),
    answer_target: int | None = typer.Option(None, help="Answer target in working minutes (Daejeon: 30)."),
) -> None:
    """Add a deadline policy; one that cannot be satisfied is refused with the reason."""
    with session_scope() as session:
        organisation = organisation_by_slug(session, org)
        category_id = None
        if category is not None:
            category_id = session.scalar(
                select(Category.id).where(Category.org_id == organisation.id, Category.code == category)
            )
            if category_id is None:
                raise NotFound(f"unknown category {category!r} in {organisation.name}")
        policy = deadline_actions.create_sla_policy(
            session,
            actor=CLI,
            org_id=organisation.id,
            name=name,
            priority=priority,
            channel=parse_enum(Channel, channel, "channel") if channel else None,
            category_id=category_id,
            department_id=department_by_name(session, organisation, department).id if department else None,
            complaint_type=parse_enum(ComplaintType, complaint_type, "complaint type") if complaint_type else None,
            resolution_value=value,
            resolution_unit=parse_enum(PeriodUnit, unit, "unit") if unit else None,
            first_response_minutes=first_response,
            answer_target_minutes=answer_target,
        )
        ok(f"policy {policy.name!r} created in {organisation.name}")


@sla_app.command("closure")
def sla_closure(
    org: str = typer.Option(..., help="Organisation slug."),
    day: str = typer.Option(..., help="The closed day, YYYY-MM-DD."),
    reason: str = typer.Option(..., help="Why, e.g. 구민의 날."),
) -> None:
    """Close the organisation for a day beyond the national holidays (deadlines skip it)."""
    try:
        closed = dt.date.fromisoformat(day)
    except ValueError:
        raise InvalidInput(f"{day!r} is not a date (YYYY-MM-DD)") from None
    with session_scope() as session:
        organisation = organisation_by_slug(session, org)
        deadline_actions.add_closure_day(session, actor=CLI, org_id=organisation.id, day=closed, reason=reason)
        ok(f"{organisation.name} closed on {closed.isoformat()}: {reason}")
