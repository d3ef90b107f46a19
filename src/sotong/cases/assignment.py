"""Automatic assignment (자동 배정): when a case reaches a department, give it to one of the department's active,
on-duty officers by the department's policy: none (the manager assigns), round-robin, or least-loaded.

Every place that routes a case to a department (triage, by a person or automatically, and transfer between
departments) calls `auto_assign` (cases/actions/lifecycle.py) once, inside its own transaction. The
round-robin pointer lives in one row per department (`department_assignment`); it is read with ``FOR UPDATE``
on PostgreSQL and moved with a conditional UPDATE from the value that was read, so two cases routed at the
same moment by two web or worker processes can never both take the same "next" officer: the second waits for
the first to commit and then sees its choice (and, for least-loaded, its new case in the counts).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from sotong.actors import Actor, Role, require_role
from sotong.audit.service import record
from sotong.cases.models import Case
from sotong.cases.status import OPEN_STATUSES
from sotong.db import Base, UTCDateTime, atomic, str_enum, utcnow
from sotong.errors import InvalidInput, NotFound, PermissionDenied
from sotong.orgs.models import Department, User

# How often a conditional UPDATE that lost a race is retried (only reachable on SQLite, or without the row lock).
_ATTEMPTS = 5


class AssignmentPolicy(StrEnum):
    none = "none"  # the manager assigns by hand
    round_robin = "round_robin"  # in turn, by user id, skipping who is off duty or inactive
    least_loaded = "least_loaded"  # whoever has the fewest open cases (ties: the next in turn)


class DepartmentAssignment(Base):
    """A department's assignment policy and its round-robin pointer (no row: policy "none")."""

    __tablename__ = "department_assignment"

    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    policy: Mapped[AssignmentPolicy] = mapped_column(str_enum(AssignmentPolicy, 16), default=AssignmentPolicy.none)
    # The officer who got the last case; the next turn goes to the first eligible id after it.
    last_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def policy_of(session: Session, department_id: int) -> AssignmentPolicy:
    """The department's policy ("none" when it was never set)."""
    value = session.scalar(
        select(DepartmentAssignment.policy).where(DepartmentAssignment.department_id == department_id)
    )
    return AssignmentPolicy(value) if value is not None else AssignmentPolicy.none


def eligible_officers(session: Session, department_id: int) -> list[int]:
    """Ids of the department's officers who may get a case now: active and on duty, in id order."""
    query = select(User.id).where(
        User.department_id == department_id,
        User.role == Role.officer,
        User.is_active.is_(True),
        User.on_duty.is_(True),
    )
    return list(session.scalars(query.order_by(User.id)))


def open_loads(session: Session, user_ids: list[int]) -> dict[int, int]:
    """How many open cases each of these users holds (zero included)."""
    loads = dict.fromkeys(user_ids, 0)
    if user_ids:
        rows = session.execute(
            select(Case.officer_id, func.count())
            .where(Case.officer_id.in_(user_ids), Case.status.in_(OPEN_STATUSES))
            .group_by(Case.officer_id)
        )
        for officer_id, count in rows:
            if officer_id is not None:
                loads[int(officer_id)] = int(count)
    return loads


def _after(candidates: list[int], last: int | None) -> list[int]:
    """The candidates in turn order: first the ids after `last`, then from the start again."""
    if last is None:
        return candidates
    later = [c for c in candidates if c > last]
    return later + [c for c in candidates if c <= last]


def pick_officer(session: Session, *, department_id: int) -> int | None:
    """Choose (and record as the last turn) the officer the department's policy gives the next case to.

    Must run inside the caller's transaction: on PostgreSQL the department's row stays locked until it commits,
    which is what makes concurrent picks take turns. None: policy "none", or nobody eligible.
    """
    postgresql = session.get_bind().dialect.name == "postgresql"
    for _ in range(_ATTEMPTS):
        query = select(DepartmentAssignment.policy, DepartmentAssignment.last_user_id).where(
            DepartmentAssignment.department_id == department_id
        )
        if postgresql:
            query = query.with_for_update()
        state = session.execute(query).first()
        if state is None or state.policy == AssignmentPolicy.none:
            return None
        candidates = eligible_officers(session, department_id)
        if not candidates:
            return None
        in_turn = _after(candidates, state.last_user_id)
        if state.policy == AssignmentPolicy.least_loaded:
            loads = open_loads(session, candidates)
            fewest = min(loads.values())
            chosen = next(c for c in in_turn if loads[c] == fewest)
        else:
            chosen = in_turn[0]
        moved = session.execute(
            update(DepartmentAssignment)
            .where(
                DepartmentAssignment.department_id == department_id,
                DepartmentAssignment.last_user_id.is_not_distinct_from(state.last_user_id),
            )
            .values(last_user_id=chosen, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount == 1:  # type: ignore[attr-defined]
            return chosen
    return None


def set_policy(session: Session, *, actor: Actor, department_id: int, policy: AssignmentPolicy) -> None:
    """Set a department's policy: its manager, or an admin of the organisation."""
    with atomic(session):
        department = session.get(Department, department_id)
        if department is None or (actor.is_staff and department.org_id != actor.org_id):
            raise NotFound("no such department")
        require_role(actor, Role.admin, Role.dept_manager, what="set the assignment policy")
        if actor.is_staff and actor.role is Role.dept_manager and actor.department_id != department.id:
            raise PermissionDenied("a manager sets the policy of their own department only")
        try:
            policy = AssignmentPolicy(policy)
        except ValueError as exc:
            raise InvalidInput(f"unknown assignment policy {policy!r}") from exc
        row = session.get(DepartmentAssignment, department.id)
        before = row.policy if row is not None else AssignmentPolicy.none
        if row is None:
            row = DepartmentAssignment(department_id=department.id, org_id=department.org_id, policy=policy)
            session.add(row)
        row.policy = policy
        row.updated_at = utcnow()
        record(
            session,
            actor=actor,
            action="department.assignment_policy",
            org_id=department.org_id,
            before={"policy": before},
            after={"policy": policy},
            details={"department_id": department.id, "department": department.name},
        )


def set_on_duty(session: Session, *, actor: Actor, on_duty: bool, user_id: int | None = None) -> User:
    """An officer marks themself on or off duty (a manager or admin may do it for their staff)."""
    target_id = user_id if user_id is not None else actor.user_id
    if target_id is None:
        raise InvalidInput("whose duty flag?")
    with atomic(session):
        user = session.get(User, target_id)
        if user is None or (actor.is_staff and user.org_id != actor.org_id):
            raise NotFound("no such user")
        if actor.is_staff and actor.user_id != user.id:
            require_role(actor, Role.admin, Role.dept_manager, what="change a colleague's duty flag")
            if actor.role is Role.dept_manager and actor.department_id != user.department_id:
                raise PermissionDenied("a manager changes the duty flag of their own department only")
        if actor.is_staff and actor.role is Role.viewer:
            raise PermissionDenied("a viewer is never on duty")
        before = user.on_duty
        user.on_duty = on_duty
        record(
            session,
            actor=actor,
            action="user.on_duty",
            org_id=user.org_id,
            before={"on_duty": before},
            after={"on_duty": on_duty},
            details={"user_id": user.id, "username": user.username},
        )
    return user
