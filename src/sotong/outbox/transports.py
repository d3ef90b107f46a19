"""How an outbox item leaves Sotong: a tiny transport interface and the registry of transports by name.

Channel connectors (``channels/<name>/``) and the staff notification transports (``notifications/``) are
transports; each process registers them once at start-up (sotong/wiring.py), so the outbox imports none of them.
Delivery (``outbox/delivery.py``) owns retries, leases and bookkeeping; a transport only delivers, and says
through `TransportError` whether a failure is worth retrying.
"""

from __future__ import annotations

import datetime as dt
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

from sqlalchemy.orm import Session

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
    # An earlier attempt committed "sending started" and never recorded its outcome (its worker died or lost its
    # lease): the platform may already have the message.
    started: bool = False
    started_at: dt.datetime | None = None  # when that earlier attempt began, for a platform asked what it has

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
            started=getattr(item, "send_started_at", None) is not None,
            started_at=getattr(item, "send_started_at", None),
        )


class TransportError(Exception):
    """A failed send. `permanent` ones are not retried; `retry_after` (seconds) is a platform's rate limit.

    `code` names the kind of failure for staff (a key under "delivery.error." in the catalogue: "config",
    "network", "outcome_unknown", ...); the message keeps the technical detail. `unknown` marks a send whose
    outcome is unknown (the request left, no answer came back): it is neither retried nor called failed.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        code: str | None = None,
        unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent or unknown
        self.retry_after = retry_after
        self.code = code or ("outcome_unknown" if unknown else None)
        self.unknown = unknown


@dataclass(frozen=True)
class Settlement:
    """What a platform says about a send that may have happened: `sent` (with its id), or not (safe to send),
    or None when it cannot tell."""

    sent: bool | None
    external_ref: str | None = None


UNSETTLED = Settlement(sent=None)


def retry_after(value: str | None, default: float | None = None) -> float | None:
    """A Retry-After header (RFC 9110: seconds, or an HTTP date) as seconds from now; `default` when absent or
    unreadable. What a platform asks for becomes `TransportError.retry_after`."""
    value = (value or "").strip()
    if not value:
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)


class Transport(ABC):
    """Delivers outbox items of one transport name."""

    name: ClassVar[str]
    # What it sends reaches its recipient alone (a text, a mail, a chat), not a public thread: a tracking link
    # sent there may carry the citizen's token (cases/links.py).
    private: ClassVar[bool] = False
    # Sending the same delivery again never shows it twice: the platform drops a repeated idempotency key
    # (Mastodon), the transport looks for what an earlier attempt posted (X, Facebook comments), or it writes to
    # Sotong's own database in the transaction that records it sent (in-app). Otherwise (SMS, Kakao's Event API,
    # TalkTalk, Messenger, e-mail) "sending started" is committed before the platform is called, and a send
    # that may have happened is never repeated by itself (outbox/delivery.py).
    idempotent: ClassVar[bool] = False
    # `settle` can ask the platform (not only the default "cannot tell"): its deliveries of unknown outcome are
    # asked about again for a while (outbox/delivery.py, `settle_unknown`).
    settles: ClassVar[bool] = False

    def resend_is_safe(self, delivery: Delivery) -> bool:
        """Whether sending `delivery` again cannot show it twice (`idempotent` unless a transport knows better)."""
        return self.idempotent

    def settle(self, delivery: Delivery, *, session: Session) -> Settlement:
        """Ask the platform whether an earlier attempt of `delivery` (`delivery.started`) reached it.

        The default cannot ask: the item is shown to staff as "outcome unknown". A transport whose platform can
        be searched for what we sent overrides this; it must answer `sent=False` only when it is sure.
        """
        return UNSETTLED

    @abstractmethod
    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Deliver once; return the platform's id of what was sent (None if there is none).

        `session` is the worker's: a transport that writes to Sotong's own database (in-app notifications)
        writes through it, and its rows commit in the same transaction that marks the item sent, so they
        exist exactly once. Transports that call a platform leave it alone (no transaction is open then).
        """


class LogTransport(Transport):
    """Development stand-in for a channel: writes what would have been sent to the log."""

    name = "log"
    idempotent = True  # nothing leaves

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


# Filled at start-up (sotong/wiring.py); "log" is a development stand-in, kept for trying a set-up by hand.
TRANSPORTS: dict[str, Transport] = {LogTransport.name: LogTransport()}


def register(transport: Transport) -> Transport:
    """Add or replace the transport for `transport.name` (start-up wiring, plugins and tests)."""
    TRANSPORTS[transport.name] = transport
    return transport


def get_transport(name: str) -> Transport:
    """The transport registered under `name`; an unknown one is a permanent failure of the item."""
    transport = TRANSPORTS.get(name)
    if transport is None:
        raise TransportError(f"no connector for channel {name!r} is configured", permanent=True, code="no_connector")
    return transport


def is_private(name: str) -> bool:
    """Whether what `name` sends reaches its recipient alone.

    A transport nobody registered counts as public: its link then carries no token, which is the safe side (the
    item itself fails at delivery with "no connector", shown to staff).
    """
    transport = TRANSPORTS.get(name)
    return transport is not None and transport.private
