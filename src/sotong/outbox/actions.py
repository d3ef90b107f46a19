"""State changes staff make to the outbox: sending a failed or unknown delivery again, or settling it by hand.

Both are reached from the case page (console), the JSON API and `sotong outbox`; each locks the row, checks the
transition, writes it and its audit event in one transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_role, same_org
from sotong.audit.service import record
from sotong.db import atomic, utcnow
from sotong.errors import IllegalTransition, InvalidInput, NotFound
from sotong.outbox.models import NEEDS_ATTENTION, OutboxItem, OutboxStatus, Resolution

# Who may act on a delivery: the centre and the admin for the organisation, the officers and managers whose
# case it is (pages and the API reach a delivery only through a case the user may see).
ROLES = (Role.admin, Role.operator, Role.dept_manager, Role.officer)
NOTE_LENGTH = 500


def _locked(session: Session, *, actor: Actor, item_id: int, what: str) -> OutboxItem:
    query = select(OutboxItem).where(OutboxItem.id == item_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    item = session.scalar(query.execution_options(populate_existing=True))
    if item is None or item.org_id is None:
        raise NotFound(f"no delivery {item_id}")
    same_org(actor, item.org_id)
    require_role(actor, *ROLES, what=what)
    if item.status not in NEEDS_ATTENTION:
        raise IllegalTransition(
            f"only a failed delivery or one of unknown outcome can be; this one is {item.status.value}"
        )
    return item


def _before(item: OutboxItem) -> dict[str, Any]:
    return {
        "status": item.status,
        "attempts": item.attempts,
        "error_code": item.error_code,
        "last_error": item.last_error,
    }


def retry(session: Session, *, actor: Actor, item_id: int) -> OutboxItem:
    """Send a failed delivery, or one of unknown outcome that a person found did not arrive, again: a fresh set
    of attempts, from now (after fixing a connector, say)."""
    with atomic(session):
        item = _locked(session, actor=actor, item_id=item_id, what="retry deliveries")
        before = _before(item)
        item.status = OutboxStatus.pending
        item.attempts = 0
        item.next_attempt_at = utcnow()
        item.claimed_by = None
        item.lease_expires_at = None
        # A person decided it may be sent (again): the earlier attempt no longer blocks it.
        item.send_started_at = None
        record(
            session,
            actor=actor,
            action="outbox.retried",
            org_id=item.org_id,
            case_id=item.case_id,
            before=before,
            after={"status": item.status, "attempts": 0},
            details={"item_id": item.id, "kind": item.kind, "transport": item.transport},
        )
    return item


# The name staff know from before (the home page's failed deliveries).
retry_failed = retry


def resolve(session: Session, *, actor: Actor, item_id: int, how: Resolution | str, note: str = "") -> OutboxItem:
    """Settle a failed or unknown delivery by hand: the citizen was told by phone or another way, or someone
    checked that it did arrive. It is never sent after this."""
    try:
        resolution = Resolution(how)
    except ValueError as exc:
        raise InvalidInput(f"how must be one of {', '.join(r.value for r in Resolution)}") from exc
    note = note.strip()
    if len(note) > NOTE_LENGTH:
        raise InvalidInput(f"the note may have at most {NOTE_LENGTH} characters")
    with atomic(session):
        item = _locked(session, actor=actor, item_id=item_id, what="settle deliveries")
        before = _before(item)
        item.status = OutboxStatus.resolved
        item.resolution = resolution.value
        item.claimed_by = None
        item.lease_expires_at = None
        record(
            session,
            actor=actor,
            action="outbox.resolved",
            org_id=item.org_id,
            case_id=item.case_id,
            before=before,
            after={"status": item.status, "resolution": resolution.value},
            details={
                "item_id": item.id,
                "kind": item.kind,
                "transport": item.transport,
                "resolution": resolution.value,
                **({"reason": note} if note else {}),
            },
        )
    return item
