"""What the citizen is sent about their case: the outbox row of a receipt, an answer or a notice, built once.

The actions that queue one (`actions.effects.queue_to_citizen`) and the answer preview (channels/preview.py)
both build it here, so a preview shows exactly what the platform will be handed, the link's token included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.inbound import DEFAULT_PRIVATE, VISIBILITY_KEY
from sotong.cases.links import tracking_url
from sotong.cases.models import Case, Message
from sotong.orgs.models import ChannelAccount
from sotong.outbox.transports import Delivery, is_private
from sotong.text.pii import mask

# The payload's free text a public reply posts (the answer, a hold's reason, a notice's words).
PUBLIC_TEXT_FIELDS = ("body", "reason", "text")


def reply_route(session: Session, account_id: int | None) -> tuple[str, int | None]:
    """The transport and account that answer a case: the receiving account, or the one it replies via."""
    if account_id is None:
        return "web", None
    account = session.get(ChannelAccount, account_id)
    if account is None:
        return "web", None
    if account.reply_via_account_id is not None:
        via = session.get(ChannelAccount, account.reply_via_account_id)
        if via is not None:
            return via.channel.value, via.id
    return account.channel.value, account.id


def asks_visibility(case: Case, first: Message | None) -> bool:
    """Whether the case came private from a private chat whose citizen has not said 공개 (cases/inbound.py)."""
    raw = first.raw if first is not None else None
    return case.citizen_private and isinstance(raw, dict) and raw.get(VISIBILITY_KEY) == DEFAULT_PRIVATE


@dataclass(frozen=True)
class CitizenDelivery:
    """The columns of one outbox row to the citizen of a case."""

    kind: str
    transport: str
    recipient: str | None
    idempotency_key: str
    payload: dict[str, Any]

    def as_delivery(self, *, org_id: int | None, case_id: int | None) -> Delivery:
        """The `Delivery` a transport would be handed for this row (unsaved: a preview)."""
        return Delivery(
            item_id=0,
            org_id=org_id,
            case_id=case_id,
            kind=self.kind,
            transport=self.transport,
            recipient=self.recipient,
            payload=dict(self.payload),
            idempotency_key=self.idempotency_key,
            attempt=1,
        )


def to_citizen(
    session: Session, case: Case, *, kind: str, key: str, payload: dict[str, Any], first: Message | None = None
) -> CitizenDelivery:
    """A delivery to the case's citizen on their channel, threaded to the case's first message (`first`, when
    the caller has it), with the tracking link (and the citizen's token in it where the reply is private)."""
    transport, account_id = reply_route(session, case.channel_account_id)
    private = is_private(transport)
    if private:
        # 공무원 실명제 is for what the public reads; the citizen's own chat keeps the answer as it was.
        payload = {k: v for k, v in payload.items() if k != "signature"}
    else:
        # Everyone reads a reply on X, Mastodon or under a Facebook post: the portal's masker runs on it, the
        # citizen's own words quoted back included. A private channel (Kakao, TalkTalk, SMS, e-mail) hands the
        # citizen the text as written.
        payload = {k: mask(v) if k in PUBLIC_TEXT_FIELDS and isinstance(v, str) else v for k, v in payload.items()}
    if first is None:
        first = session.scalar(select(Message).where(Message.case_id == case.id).order_by(Message.id).limit(1))
    if kind == "receipt" and asks_visibility(case, first):
        payload = {**payload, "ask_visibility": True}
    return CitizenDelivery(
        kind=kind,
        transport=transport,
        recipient=case.author_handle,
        idempotency_key=f"{kind}:{case.id}:{key}",
        payload={
            "case_number": case.number,
            "channel_account_id": account_id,
            "in_reply_to_external_id": first.external_id if first else None,
            "tracking_url": tracking_url(case_number=case.number, citizen_token=case.citizen_token, private=private),
            "contact": case.contact,
            **payload,
        },
    )
