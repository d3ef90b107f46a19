"""What cases asks the stations below it to call back, registered by `install` (sotong/wiring.py calls it).

- The outbox, when it records an item sent: a delivered answer or notice written by a person is the case's first
  response, the moment the citizen first heard back from someone (statistics: "첫 응답까지"). The automatic
  receipt is not: it leaves within seconds whatever happens, and counting it made every first response "0.0시간".
- The outbox, when a delivery to a citizen fails for good or its outcome is unknown: the case's officer (or its
  department's managers) and the centre's operators are told, so someone retries it or calls the citizen.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Role
from sotong.cases.actions import mark_first_response
from sotong.cases.actions.effects import notify
from sotong.cases.models import Case
from sotong.db import utcnow
from sotong.i18n import translate
from sotong.orgs.models import User
from sotong.outbox import delivery
from sotong.outbox.models import OutboxStatus
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


def delivery_problem(session: Session, item: Delivery, status: OutboxStatus, code: str) -> None:
    """Tell the case's owner and the centre that a citizen's delivery failed or may not have arrived."""
    if item.case_id is None or item.kind == "notify":
        return  # staff notifications about staff notifications would never end
    case = session.get(Case, item.case_id)
    if case is None:
        return
    kind = "delivery_unknown" if status is OutboxStatus.unknown else "delivery_failed"
    what = translate("ko", f"delivery.kind.{item.kind}")
    if what == f"delivery.kind.{item.kind}":  # a kind the catalogue does not name yet
        what = translate("ko", "delivery.kind.other")
    text = translate(
        "ko", f"delivery.notify.{kind}", number=case.number, what=what, reason=translate("ko", f"delivery.error.{code}")
    )
    key = f"{item.item_id}:{utcnow().isoformat()}"
    # Whoever holds the case (its officer, else its department's managers) and the centre, each told once.
    if case.officer_id is not None:
        owners = [case.officer_id]
    elif case.department_id is not None:
        owners = list(
            session.scalars(
                select(User.id).where(
                    User.department_id == case.department_id,
                    User.role == Role.dept_manager,
                    User.is_active.is_(True),
                )
            )
        )
    else:
        owners = []
    operators = session.scalars(
        select(User.id).where(User.org_id == case.org_id, User.role == Role.operator, User.is_active.is_(True))
    )
    for user_id in dict.fromkeys([*owners, *operators]):
        notify(session, case, user_id, kind=kind, text=text, key=key)


def install() -> None:
    """Register the hooks above (idempotent)."""
    delivery.on_sent(first_response_delivered)
    delivery.on_problem(delivery_problem)
