"""How an outbox item leaves Sotong: a tiny transport interface and the registry of transports by name.

A channel connector (``channels/<name>/``) implements `Transport.send` and adds one line to `TRANSPORTS`.
The worker (``outbox.worker``) owns retries, leases and bookkeeping; a transport only delivers, and says
through `TransportError` whether a failure is worth retrying.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from sotong.notifications.models import Notification
from sotong.orgs.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """What a transport needs to send one outbox item (a plain copy: the row itself stays with the worker)."""

    item_id: int
    org_id: int | None
    case_id: int | None
    kind: str
    transport: str
    recipient: str | None
    payload: dict[str, Any]
    # Platforms that deduplicate (Mastodon's Idempotency-Key, ...) must be handed this on every attempt.
    idempotency_key: str
    attempt: int

    @classmethod
    def of(cls, item: Any, *, attempt: int | None = None) -> Delivery:
        """The delivery of an outbox row (an `OutboxItem` or a row with the same columns), at its claimed attempt."""
        return cls(
            item_id=item.id,
            org_id=item.org_id,
            case_id=item.case_id,
            kind=item.kind,
            transport=item.transport,
            recipient=item.recipient,
            payload=dict(item.payload or {}),
            idempotency_key=item.idempotency_key,
            attempt=item.attempts if attempt is None else attempt,
        )


class TransportError(Exception):
    """A failed send. `permanent` ones are not retried; `retry_after` (seconds) is a platform's rate limit."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after


class Transport(ABC):
    """Delivers outbox items of one transport name."""

    name: ClassVar[str]

    @abstractmethod
    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Deliver once; return the platform's id of what was sent (None if there is none).

        `session` is the worker's: a transport that writes to Sotong's own database (in-app notifications)
        writes through it, and its rows commit in the same transaction that marks the item sent, so they
        exist exactly once. Transports that call a platform leave it alone (no transaction is open then).
        """


class InAppTransport(Transport):
    """A notification in the staff console for ``payload["user_id"]``."""

    name = "inapp"

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Add the notification row to the worker's transaction (see `Transport.send`)."""
        user_id = delivery.payload.get("user_id")
        user = session.get(User, user_id) if isinstance(user_id, int) else None
        if user is None:
            raise TransportError(f"in-app notification for unknown user {user_id!r}", permanent=True)
        notification = Notification(
            org_id=delivery.org_id if delivery.org_id is not None else user.org_id,
            user_id=user.id,
            case_id=delivery.case_id,
            kind=str(delivery.payload.get("kind") or delivery.kind)[:32],
            text=str(delivery.payload.get("text") or delivery.payload.get("case_number") or delivery.kind),
        )
        session.add(notification)
        session.flush()
        return str(notification.id)


class WebTransport(Transport):
    """Web-form citizens read receipts and answers on the tracking page: there is nothing to send."""

    name = "web"

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Nothing leaves the building; the tracking page already shows it."""
        return None


class LogTransport(Transport):
    """Development stand-in for a channel: writes what would have been sent to the log."""

    name = "log"

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Log the delivery and pretend the platform accepted it."""
        log.info(
            "outbox %s: %s to %s via log (key %s): %s",
            delivery.item_id,
            delivery.kind,
            delivery.recipient,
            delivery.idempotency_key,
            delivery.payload,
        )
        return f"log-{delivery.item_id}"


# One line per transport. Channel connectors (x, mastodon, kakao, email, sms...) add theirs here.
TRANSPORTS: dict[str, Transport] = {
    InAppTransport.name: InAppTransport(),
    WebTransport.name: WebTransport(),
    LogTransport.name: LogTransport(),
}


def register(transport: Transport) -> Transport:
    """Add or replace the transport for `transport.name` (plugins and tests)."""
    TRANSPORTS[transport.name] = transport
    return transport


def get_transport(name: str) -> Transport:
    """The transport registered under `name`; an unknown one is a permanent failure of the item."""
    # The channel connectors register themselves on import; a bare `sotong worker` process would otherwise
    # never see them (the web app imports them through its webhook router).
    import sotong.channels.registry  # noqa: F401
    from sotong.notifications import transports as _staff_notifications  # noqa: F401  (e-mail, messenger webhook)

    transport = TRANSPORTS.get(name)
    if transport is None:
        raise TransportError(f"no connector for channel {name!r} is configured", permanent=True)
    return transport
