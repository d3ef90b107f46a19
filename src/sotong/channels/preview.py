"""What the citizen will see: an answer as its channel's connector would send it, and its public (masked) form.

The delivery is built by the answer action's own builder (cases/delivery.py), and each connector's `preview` is
the code its `send` posts with, so the preview cannot drift from the send.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.cases.actions.answer import signature_for
from sotong.cases.answers.render import public_source
from sotong.cases.delivery import to_citizen
from sotong.cases.models import Case
from sotong.cases.wording import reply_text
from sotong.channels.base import ChannelText, tracking_link
from sotong.channels.registry import get_connector
from sotong.outbox.transports import Delivery
from sotong.text.pii import mask


def channel_text(delivery: Delivery) -> ChannelText:
    """The reply for `delivery` as its channel's connector would send it (the whole text, unchecked, for a
    transport no connector speaks for)."""
    connector = get_connector(delivery.transport)
    if connector is not None:
        return connector.preview(delivery)
    text = reply_text(delivery)
    return ChannelText(delivery.transport, text, len(text), None, "none", False, checked=False)


def answer_delivery(session: Session, case: Case, body: str, *, actor: Actor | None = None) -> Delivery:
    """The delivery the answer action would queue for this body, signed as `actor` would sign it
    (cases/delivery.py; not stored: a preview)."""
    signature = signature_for(session, actor=actor, case=case) if actor is not None else None
    payload = {"answer_id": None, "body": body.strip(), "signature": signature}
    to_send = to_citizen(session, case, kind="answer", key="preview", payload=payload)
    return to_send.as_delivery(org_id=case.org_id, case_id=case.id)


@dataclass(frozen=True)
class Preview:
    channel: ChannelText
    public: str  # what the portal will show, personal data masked
    tracking_url: str


def preview(
    session: Session, case: Case, *, body: str, public_body: str | None = None, actor: Actor | None = None
) -> Preview:
    """Both things the citizen will see: the channel reply (signed as `actor` would sign it) and the masked public
    answer."""
    delivery = answer_delivery(session, case, body, actor=actor)
    public = mask(public_source(case, public_body if public_body else body.strip()))
    return Preview(channel=channel_text(delivery), public=public, tracking_url=tracking_link(delivery))
