"""Answers to citizens who came without a platform of their own: the web form, the 120 call centre, the counter.

They are answered by text message when they left a mobile number and the organisation has an SMS account
(channels/sms/), else by e-mail when they left an address and the organisation has an e-mail account
(channels/email/, a new thread with the case number in the subject); otherwise there is nothing to send and
the tracking page (the link on their receipt) carries the answer, as before. A web-form receipt is never sent:
the citizen just read it on the screen. A phone or counter receipt is, so the caller has the case number in
writing.

Each of those channels' connectors (webform/, callcentre/) is a `ReplyConnector`; the outbox names them after
the channel a case came in on (cases/delivery.py `reply_route`).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.channels.base import ChannelError, Connector
from sotong.channels.email.connector import EmailConnector
from sotong.channels.sms.connector import SmsConnector
from sotong.channels.sms.gateways import normalise_number
from sotong.orgs.models import Channel, ChannelAccount
from sotong.outbox.transports import Delivery

log = logging.getLogger(__name__)


def sms_account(session: Session, org_id: int) -> ChannelAccount | None:
    """The organisation's enabled SMS account (the lowest id when there are several), or None."""
    query = select(ChannelAccount).where(
        ChannelAccount.org_id == org_id, ChannelAccount.channel == Channel.sms, ChannelAccount.enabled.is_(True)
    )
    return session.scalar(query.order_by(ChannelAccount.id).limit(1))


class ReplyConnector(Connector):
    """A channel without a platform of its own: hand each delivery to the organisation's SMS account (or e-mail
    account), addressed to what the citizen left."""

    name: ClassVar[str]
    private: ClassVar[bool] = True  # a text, a mail or the citizen's own tracking page
    text_receipts: ClassVar[bool] = True

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Text the citizen, or do nothing (None) when there is no mobile number or no SMS account."""
        if delivery.kind == "receipt" and not self.text_receipts:
            return None
        phone = str((delivery.payload.get("contact") or {}).get("phone") or "")
        try:
            number = normalise_number(phone) if phone else None
        except ChannelError:
            number = None  # a landline: a text cannot reach it (e-mail or the tracking page still do)
        account = sms_account(session, delivery.org_id) if number and delivery.org_id is not None else None
        account_id = account.id if account is not None else None
        if number is None or account_id is None:
            sent = self._by_email(delivery, session=session)
            if sent is None and number is not None:
                # The citizen left a mobile number and is waiting for a text that cannot be sent: say so on the
                # case (and to its officer) rather than record a delivery that reached nobody.
                raise ChannelError(
                    f"{self.name}: the organisation has no enabled SMS account to text {number[:3]}-****-{number[-4:]}",
                    permanent=True,
                    code="no_sms_account",
                )
            return sent
        session.rollback()  # no transaction left open while the gateway answers
        by_sms = dataclasses.replace(
            delivery, transport="sms", recipient=number, payload={**delivery.payload, "channel_account_id": account_id}
        )
        sent = SmsConnector().send(by_sms, session=session)
        return f"sms:{sent}" if sent else None

    def _by_email(self, delivery: Delivery, *, session: Session) -> str | None:
        """Mail the citizen from the organisation's e-mail account, or do nothing (None) without one."""
        address = str((delivery.payload.get("contact") or {}).get("email") or "")
        if "@" not in address or delivery.org_id is None:
            return None
        account_id = session.scalar(
            select(ChannelAccount.id)
            .where(
                ChannelAccount.org_id == delivery.org_id,
                ChannelAccount.channel == Channel.email,
                ChannelAccount.enabled.is_(True),
            )
            .order_by(ChannelAccount.id)
            .limit(1)
        )
        session.rollback()  # no transaction left open while the mail server answers
        if account_id is None:
            log.info("outbox %s: no SMS or e-mail account for organisation %s: answer on the tracking page only",
                     delivery.item_id, delivery.org_id)  # fmt: skip
            return None
        by_mail = dataclasses.replace(
            delivery,
            transport="email",
            recipient=address,
            # A new thread: the citizen wrote no mail to answer (the web message's id is no Message-ID).
            payload={**delivery.payload, "channel_account_id": account_id, "in_reply_to_external_id": None},
        )
        sent = EmailConnector().send(by_mail, session=session)
        return f"email:{sent}" if sent else None
