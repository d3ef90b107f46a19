"""What cases asks the stations below it to call back, registered by `install` (sotong/wiring.py calls it).

- The outbox, when it records an item sent: a delivered answer or notice written by a person is the case's first
  response, the moment the citizen first heard back from someone (statistics: "첫 응답까지"). The automatic
  receipt is not: it leaves within seconds whatever happens, and counting it made every first response "0.0시간".
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from sotong.cases.actions import mark_first_response
from sotong.outbox import delivery
from sotong.outbox.transports import Delivery

# Delivering these tells the citizen a person looked at their case: the case's first response is recorded then.
# (The answer action records its own time as well: the officer answered, whether or not the channel delivers.)
FIRST_RESPONSE_KINDS = frozenset({"answer", "hold_notice", "transfer_notice", "extension_notice"})


def first_response_delivered(session: Session, sent: Delivery, at: dt.datetime) -> bool:
    """Record the case's first response when an answer or a person's notice was delivered; False to retry later.

    Not waiting for the case row: triage holds its batch of cases for the whole model pass, and every delivery
    behind this one would wait with it. A case held now gets its first response recorded on a later look
    (`outbox.delivery` calls again), with the time the platform took the receipt.
    """
    if sent.kind not in FIRST_RESPONSE_KINDS or sent.case_id is None:
        return True
    return mark_first_response(session, case_id=sent.case_id, at=at, wait=False)


def install() -> None:
    """Register the hooks above (idempotent)."""
    delivery.on_sent(first_response_delivered)
