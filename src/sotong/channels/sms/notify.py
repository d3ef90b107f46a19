"""Queueing a text message to a case's citizen, inside the calling action's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.links import tracking_url
from sotong.cases.models import Case
from sotong.channels.base import ChannelError
from sotong.channels.sms.gateways import normalise_number
from sotong.orgs.models import Channel, ChannelAccount
from sotong.outbox.models import OutboxItem
from sotong.outbox.service import enqueue


def sms_account(session: Session, org_id: int) -> ChannelAccount | None:
    """The organisation's enabled SMS account (the lowest id when there are several), or None."""
    query = select(ChannelAccount).where(
        ChannelAccount.org_id == org_id, ChannelAccount.channel == Channel.sms, ChannelAccount.enabled.is_(True)
    )
    return session.scalar(query.order_by(ChannelAccount.id).limit(1))


def queue_sms(
    session: Session,
    *,
    case: Case,
    kind: str,
    key: str,
    payload: dict[str, Any] | None = None,
    phone: str | None = None,
) -> OutboxItem | None:
    """Queue an SMS about `case` to `phone` (default: the number the citizen left); None when there is no
    usable number or the organisation has no SMS account. Call it inside the action's ``atomic`` block.

    `kind` is "receipt", "answer" or a notice kind (render.reply_text words it; an answer needs
    ``payload["body"]``); `key` makes the item unique, so queueing the same notice twice sends it once.
    """
    number = phone or str((case.contact or {}).get("phone") or "")
    if not number:
        return None
    try:
        number = normalise_number(number)
    except ChannelError:
        return None  # a landline or a typo: nothing a text message can reach
    account = sms_account(session, case.org_id)
    if account is None:
        return None
    idempotency_key = f"sms:{kind}:{case.id}:{key}"
    existing = session.scalar(select(OutboxItem).where(OutboxItem.idempotency_key == idempotency_key))
    if existing is not None:
        return existing  # already queued (the key is unique: a second row would fail the whole action)
    return enqueue(
        session,
        org_id=case.org_id,
        case_id=case.id,
        kind=kind,
        transport="sms",
        recipient=number,
        idempotency_key=idempotency_key,
        payload={
            "case_number": case.number,
            "channel_account_id": account.id,
            # A text message reaches only the citizen: the link carries their token (rating, follow-up).
            "tracking_url": tracking_url(case_number=case.number, citizen_token=case.citizen_token, private=True),
            **(payload or {}),
        },
    )
