"""Who may see and do what. Every check takes the actor and the row; refusals raise PermissionDenied."""

from __future__ import annotations

from sotong.actors import Actor
from sotong.errors import NotFound, PermissionDenied
from sotong.orgs.models import Role

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
