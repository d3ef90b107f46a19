"""Answers to citizens who came without a platform of their own: the web form, the 120 call centre, the counter.

They are answered by text message when they left a mobile number and the organisation has an SMS account
(channels/sms/); otherwise there is nothing to send and the tracking page (the link on their receipt) carries
the answer, as before. A web-form receipt is never texted: the citizen just read it on the screen. A phone or
counter receipt is, so the caller has the case number in writing.

These transports replace the plain ``web`` one and add ``phone`` and ``visit``; the outbox names them after
the channel a case came in on (cases.actions._reply_transport).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import ClassVar

from sqlalchemy.orm import Session

from sotong.channels.base import ChannelError
from sotong.outbox.transports import Delivery, Transport

log = logging.getLogger(__name__)


class ReplyBySms(Transport):
    """Hand the delivery to the organisation's SMS account, addressed to the number the citizen left."""

    name: ClassVar[str]
    text_receipts: ClassVar[bool] = True

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Text the citizen, or do nothing (None) when there is no mobile number or no SMS account."""
        from sotong.channels.sms.connector import SmsConnector
        from sotong.channels.sms.gateways import normalise_number
        from sotong.channels.sms.notify import sms_account

        if delivery.kind == "receipt" and not self.text_receipts:
            return None
        phone = str((delivery.payload.get("contact") or {}).get("phone") or "")
        if not phone:
            return None
        try:
            number = normalise_number(phone)
        except ChannelError:
            return None  # a landline: a text cannot reach it, the tracking page still does
        account = sms_account(session, delivery.org_id) if delivery.org_id is not None else None
        account_id = account.id if account is not None else None
        session.rollback()  # no transaction left open while the gateway answers
        if account_id is None:
            log.info("outbox %s: no SMS account for organisation %s: answer on the tracking page only",
                     delivery.item_id, delivery.org_id)  # fmt: skip
            return None
        by_sms = dataclasses.replace(
            delivery, transport="sms", recipient=number, payload={**delivery.payload, "channel_account_id": account_id}
        )
        sent = SmsConnector().send(by_sms, session=session)
        return f"sms:{sent}" if sent else None


class WebReply(ReplyBySms):
    name: ClassVar[str] = "web"
    text_receipts: ClassVar[bool] = False


class PhoneReply(ReplyBySms):
    name: ClassVar[str] = "phone"


class VisitReply(ReplyBySms):
    name: ClassVar[str] = "visit"


REPLY_TRANSPORTS: tuple[Transport, ...] = (WebReply(), PhoneReply(), VisitReply())
