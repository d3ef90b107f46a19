"""Who performs an action (a staff user, a citizen, the system itself) and what each may see and do.

Every action takes an `Actor`; the checks below take the actor and the row, and refuse with PermissionDenied
(or NotFound, where saying "forbidden" would confirm that a row exists).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol

from sotong.errors import NotFound, PermissionDenied

# "token": a machine client of the JSON API with an organisation's API token (orgs/tokens.py): staff-like, bound to
# one organisation and an organisation-wide role, but no person (no user id).
ActorKind = Literal["user", "token", "system", "worker", "citizen", "cli"]


class Role(StrEnum):
    admin = "admin"
    operator = "operator"  # SNS centre desk: triage for the whole organisation
    dept_manager = "dept_manager"
    officer = "officer"
    viewer = "viewer"


class StaffUser(Protocol):
    """What an actor is made from: a staff user's row (orgs.models.User)."""

    @property
    def id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def org_id(self) -> int: ...
    @property
    def role(self) -> Role: ...
    @property
    def department_id(self) -> int | None: ...


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    label: str
    user_id: int | None = None
    org_id: int | None = None
    role: Role | None = None
    department_id: int | None = None

    @classmethod
    def for_user(cls, user: StaffUser) -> Actor:
        """The actor for a logged-in staff user."""
        return cls(
            kind="user",
            label=user.username,
            user_id=user.id,
            org_id=user.org_id,
            role=user.role,
            department_id=user.department_id,
        )

    @property
    def is_staff(self) -> bool:
        """Bound to one organisation and a role: a staff user, or an API token acting for the organisation."""
        return self.kind in ("user", "token")


SYSTEM = Actor(kind="system", label="system")
WORKER = Actor(kind="worker", label="worker")
CITIZEN = Actor(kind="citizen", label="citizen")
CLI = Actor(kind="cli", label="cli")

# Roles that see every case of their organisation; the others see their own department's.
ORG_WIDE_ROLES = frozenset({Role.admin, Role.operator, Role.viewer})
WRITE_ROLES = frozenset({Role.admin, Role.operator, Role.dept_manager, Role.officer})


def same_org(actor: Actor, org_id: int) -> None:
    """Staff only ever touch their own organisation; another's rows look like they do not exist."""
    if actor.is_staff and actor.org_id != org_id:
        raise NotFound("no such record in your organisation")


def can_see_case(actor: Actor, *, org_id: int, department_id: int | None) -> bool:
    """Whether a staff user may read this case's non-public data."""
    if not actor.is_staff:
        return actor.kind in ("system", "worker", "cli")
    if actor.org_id != org_id:
        return False
    if actor.role in ORG_WIDE_ROLES:
        return True
    return department_id is not None and department_id == actor.department_id


def require_case_visible(actor: Actor, *, org_id: int, department_id: int | None) -> None:
    """Raise NotFound (not 403: do not confirm the case exists) when the actor may not see it."""
    if not can_see_case(actor, org_id=org_id, department_id=department_id):
        raise NotFound("no such case")


def require_role(actor: Actor, *roles: Role, what: str) -> None:
    """Staff actors must hold one of `roles`; system actors always may."""
    if not actor.is_staff:
        return
    if actor.role not in roles:
        raise PermissionDenied(f"your role ({actor.role}) may not {what}")


def require_department_or_org_wide(actor: Actor, department_id: int | None, *, what: str) -> None:
    """Managers and officers act only on their own department's cases."""
    if not actor.is_staff or actor.role in (Role.admin, Role.operator):
        return
    if actor.role is Role.viewer:
        raise PermissionDenied(f"a viewer may not {what}")
    if department_id is None or department_id != actor.department_id:
        raise PermissionDenied(f"only the case's own department may {what}")
