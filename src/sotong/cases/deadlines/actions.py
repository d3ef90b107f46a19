"""Changing an organisation's deadline set-up: business hours, deadline policies (SLA), closure days.

One audited action each; deadlines computed from then on use the new set-up (cases/deadlines/sla.py). Refusals
carry a `field` (the form field at fault) and a `code` the console translates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_role, same_org
from sotong.audit.service import record
from sotong.cases.deadlines.models import ClosureDay, SlaPolicy
from sotong.cases.deadlines.sla import STATUTORY_PERIODS, period_in_working_hours
from sotong.cases.models import ComplaintType, PeriodUnit
from sotong.db import atomic
from sotong.errors import InvalidInput
from sotong.orgs.models import Channel, Organisation, check_business_hours
from sotong.orgs.service import category_in, department_in, get_row, organisation


def update_business_hours(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    work_start: dt.time,
    work_end: dt.time,
    lunch_start: dt.time | None,
    lunch_end: dt.time | None,
) -> Organisation:
    """Change an organisation's business hours (deadlines computed from now on use them)."""
    check_business_hours(work_start, work_end, lunch_start, lunch_end)
    with atomic(session):
        org = organisation(session, org_id)
        same_org(actor, org.id)
        require_role(actor, Role.admin, what="change business hours")
        before = {
            "work_start": org.work_start,
            "work_end": org.work_end,
            "lunch_start": org.lunch_start,
            "lunch_end": org.lunch_end,
        }
        org.work_start, org.work_end, org.lunch_start, org.lunch_end = (
            work_start,
            work_end,
            lunch_start,
            lunch_end,
        )
        record(
            session,
            actor=actor,
            action="org.hours_changed",
            org_id=org.id,
            before=before,
            after={
                "work_start": work_start,
                "work_end": work_end,
                "lunch_start": lunch_start,
                "lunch_end": lunch_end,
            },
        )
    return org


def create_sla_policy(
    session: Session,
    *,
    actor: Actor,
    org_id: int,
    name: str,
    priority: int = 100,
    channel: Channel | None = None,
    category_id: int | None = None,
    department_id: int | None = None,
    complaint_type: ComplaintType | None = None,
    resolution_value: int | None = None,
    resolution_unit: PeriodUnit | None = None,
    first_response_minutes: int | None = None,
    answer_target_minutes: int | None = None,
) -> SlaPolicy:
    """Add a deadline policy; refused when its targets cannot be satisfied."""
    _check_sla_targets(resolution_value, resolution_unit, first_response_minutes, answer_target_minutes, complaint_type)
    policy = SlaPolicy(
        org_id=org_id,
        name=name,
        priority=priority,
        channel=channel,
        category_id=category_id,
        department_id=department_id,
        complaint_type=complaint_type.value if complaint_type else None,
        resolution_value=resolution_value,
        resolution_unit=resolution_unit,
        first_response_minutes=first_response_minutes,
        answer_target_minutes=answer_target_minutes,
    )
    with atomic(session):
        organisation(session, org_id)
        same_org(actor, org_id)
        require_role(actor, Role.admin, what="manage SLA policies")
        if department_id is not None:
            department_in(session, org_id, department_id)
        if category_id is not None:
            category_in(session, org_id, category_id)
        session.add(policy)
        session.flush()
        record(
            session,
            actor=actor,
            action="sla_policy.created",
            org_id=org_id,
            after={
                "id": policy.id,
                "name": name,
                "resolution_value": resolution_value,
                "resolution_unit": resolution_unit,
            },
        )
    return policy


def add_closure_day(session: Session, *, actor: Actor, org_id: int, day: dt.date, reason: str) -> ClosureDay:
    """Close the organisation for a day beyond the national calendar (deadlines skip it)."""
    closure = ClosureDay(org_id=org_id, day=day, reason=reason)
    try:
        with atomic(session):
            organisation(session, org_id)
            same_org(actor, org_id)
            require_role(actor, Role.admin, what="manage the business calendar")
            session.add(closure)
            session.flush()
            record(
                session,
                actor=actor,
                action="closure_day.added",
                org_id=org_id,
                after={"day": day, "reason": reason},
            )
    except IntegrityError as exc:
        raise InvalidInput(f"{day.isoformat()} is already a closure day", field="day", code="closure_exists") from exc
    return closure


def _check_sla_targets(
    resolution_value: int | None,
    resolution_unit: PeriodUnit | None,
    first_response_minutes: int | None,
    answer_target_minutes: int | None,
    complaint_type: ComplaintType | None = None,
) -> None:
    if (resolution_value is None) != (resolution_unit is None):
        raise InvalidInput(
            "a resolution period needs both a value and a unit", field="resolution_value", code="sla_period_pair"
        )
    for label, field, value in (
        ("resolution period", "resolution_value", resolution_value),
        ("first response", "first_response_minutes", first_response_minutes),
        ("answer target", "answer_target_minutes", answer_target_minutes),
    ):
        if value is not None and value <= 0:
            raise InvalidInput(f"{label} must be positive", field=field, code="sla_not_positive")
    if resolution_value is not None and resolution_unit is PeriodUnit.days and resolution_value > 365:
        raise InvalidInput(
            "a resolution period longer than a year cannot be a complaint deadline",
            field="resolution_value",
            code="sla_too_long",
        )
    if resolution_value is not None and resolution_unit is PeriodUnit.hours and resolution_value > 40:
        raise InvalidInput(
            "periods over 5 days (40 working hours) are counted in days: use days",
            field="resolution_value",
            code="sla_hours_too_long",
        )
    # A target that falls after the resolution deadline can never be met before the case is overdue anyway.
    period: tuple[int, PeriodUnit] | None = None
    if resolution_value is not None and resolution_unit is not None:
        period = (resolution_value, resolution_unit)
    elif complaint_type is not None:
        period = STATUTORY_PERIODS[complaint_type]
    if period is None:
        return
    limit = period_in_working_hours(*period) * 60
    for label, field, value in (
        ("first response", "first_response_minutes", first_response_minutes),
        ("answer target", "answer_target_minutes", answer_target_minutes),
    ):
        if value is not None and value > limit:
            raise InvalidInput(
                f"the {label} target ({value} min) is later than the resolution period ({limit} working min)",
                field=field,
                code="sla_unsatisfiable",
            )


def remove_closure_day(session: Session, *, actor: Actor, closure_id: int) -> None:
    """Open the organisation again on a day that was closed (deadlines computed from now on count it)."""
    with atomic(session):
        closure: ClosureDay = get_row(session, ClosureDay, closure_id, "closure day")
        same_org(actor, closure.org_id)
        require_role(actor, Role.admin, what="manage the business calendar")
        record(
            session,
            actor=actor,
            action="closure_day.removed",
            org_id=closure.org_id,
            before={"day": closure.day, "reason": closure.reason},
        )
        session.delete(closure)


def update_sla_policy(
    session: Session,
    *,
    actor: Actor,
    policy_id: int,
    name: str,
    priority: int = 100,
    enabled: bool = True,
    channel: Channel | None = None,
    category_id: int | None = None,
    department_id: int | None = None,
    complaint_type: ComplaintType | None = None,
    resolution_value: int | None = None,
    resolution_unit: PeriodUnit | None = None,
    first_response_minutes: int | None = None,
    answer_target_minutes: int | None = None,
) -> SlaPolicy:
    """Change a deadline policy (cases received from now on use it); refused when it cannot be satisfied."""
    if not name.strip():
        raise InvalidInput("a policy needs a name", field="name", code="required")
    _check_sla_targets(resolution_value, resolution_unit, first_response_minutes, answer_target_minutes, complaint_type)
    with atomic(session):
        policy: SlaPolicy = get_row(session, SlaPolicy, policy_id, "SLA policy")
        same_org(actor, policy.org_id)
        require_role(actor, Role.admin, what="manage SLA policies")
        if department_id is not None:
            department_in(session, policy.org_id, department_id)
        if category_id is not None:
            category_in(session, policy.org_id, category_id)
        before = sla_policy_dict(policy)
        policy.name, policy.priority, policy.enabled = name.strip(), priority, enabled
        policy.channel, policy.category_id, policy.department_id = channel, category_id, department_id
        policy.complaint_type = complaint_type.value if complaint_type else None
        policy.resolution_value, policy.resolution_unit = resolution_value, resolution_unit
        policy.first_response_minutes, policy.answer_target_minutes = first_response_minutes, answer_target_minutes
        record(
            session,
            actor=actor,
            action="sla_policy.updated",
            org_id=policy.org_id,
            before=before,
            after=sla_policy_dict(policy),
            details={"policy_id": policy.id},
        )
    return policy


def sla_policy_dict(policy: SlaPolicy) -> dict[str, Any]:
    """The fields of a policy as an audit event stores them."""
    return {
        "name": policy.name,
        "priority": policy.priority,
        "enabled": policy.enabled,
        "channel": policy.channel,
        "category_id": policy.category_id,
        "department_id": policy.department_id,
        "complaint_type": policy.complaint_type,
        "resolution_value": policy.resolution_value,
        "resolution_unit": policy.resolution_unit,
        "first_response_minutes": policy.first_response_minutes,
        "answer_target_minutes": policy.answer_target_minutes,
    }
