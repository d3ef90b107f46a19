"""State changes staff make to the outbox: requeueing a delivery that failed for good."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role, require_role, same_org
from sotong.audit.service import record
from sotong.db import atomic, utcnow
from sotong.errors import IllegalTransition, NotFound
from sotong.outbox.models import OutboxItem, OutboxStatus


def retry_failed(session: Session, *, actor: Actor, item_id: int) -> OutboxItem:
    """Send a failed delivery again (after fixing a connector, say): a fresh set of attempts, from now."""
    with atomic(session):
        query = select(OutboxItem).where(OutboxItem.id == item_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        item = session.scalar(query.execution_options(populate_existing=True))
        if item is None or item.org_id is None:
            raise NotFound(f"no delivery {item_id}")
        same_org(actor, item.org_id)
        require_role(actor, Role.admin, Role.operator, what="retry failed deliveries")
        if item.status is not OutboxStatus.failed:
            raise IllegalTransition(f"only a failed delivery can be retried; this one is {item.status.value}")
        before = {"status": item.status, "attempts": item.attempts, "last_error": item.last_error}
        item.status = OutboxStatus.pending
        item.attempts = 0
        item.next_attempt_at = utcnow()
        item.claimed_by = None
        item.lease_expires_at = None
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
