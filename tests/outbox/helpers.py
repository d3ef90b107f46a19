"""Transports that record or fail on demand, and a helper to queue items the way actions do."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from sotong.db import atomic
from sotong.outbox.models import OutboxItem
from sotong.outbox.service import enqueue
from sotong.outbox.transports import Delivery, Transport, TransportError

_keys = iter(range(1, 1_000_000))


def queue(
    session: Session,
    *,
    org_id: int | None,
    transport: str = "recording",
    kind: str = "notify",
    payload: dict[str, Any] | None = None,
    case_id: int | None = None,
    key: str | None = None,
    not_before: dt.datetime | None = None,
) -> OutboxItem:
    """Queue one item in its own transaction, as an action would."""
    with atomic(session):
        return enqueue(
            session,
            org_id=org_id,
            kind=kind,
            transport=transport,
            idempotency_key=key or f"test:{next(_keys)}",
            payload=payload or {},
            case_id=case_id,
            not_before=not_before,
        )


@dataclass
class Recording(Transport):
    """Accepts everything and remembers it, like a platform would."""

    name: ClassVar[str] = "recording"
    sent: list[Delivery] = field(default_factory=list)

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        self.sent.append(delivery)
        return f"post-{len(self.sent)}"


@dataclass
class Failing(Transport):
    """Raises the given error on every send (a platform that is down, or refuses the message)."""

    error: Exception
    name: ClassVar[str] = "failing"
    calls: int = 0

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        self.calls += 1
        raise self.error


def temporary(message: str = "503 Service Unavailable", retry_after: float | None = None) -> TransportError:
    return TransportError(message, permanent=False, retry_after=retry_after)
