"""The SMS channel: answers and notices to a phone number through the organisation's gateway, replies in.

Account config: ``gateway`` ("sens" unless set, or "test") and that gateway's keys (see gateways.py).
Cases that came in by SMS are answered by SMS; web-form, call-centre and counter citizens who left a mobile
number get theirs through the SMS account too (channels/replies.py).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.inbound import InboundMessage
from sotong.cases.wording import reply_text
from sotong.channels.base import (
    ChannelError,
    ChannelText,
    Connector,
    MalformedPayload,
    ProbeError,
    SampleAuthor,
    SetupField,
    SignatureError,
    WebhookRequest,
    tracking_link,
)
from sotong.channels.sms.gateways import gateway_for, normalise_number
from sotong.channels.sms.text import (
    LMS_BYTES,
    SMS_BYTES,
    SmsMessage,
    byte_length,
    carrier_safe,
    plan_message,
    unsendable,
)
from sotong.outbox.models import OutboxItem
from sotong.outbox.transports import UNSETTLED, Delivery, Settlement


def subject_of(delivery: Delivery) -> str:
    """The LMS subject: what the message is about, with its case number."""
    number = str(delivery.payload.get("case_number") or "")
    label = {"receipt": "민원 접수", "answer": "민원 답변"}.get(delivery.kind, "민원 안내")
    return f"[{label}] {number}".strip()


class SmsConnector(Connector):
    """Text messages out through the account's gateway; replies in through the generic webhook (two-way only)."""

    name: ClassVar[str] = "sms"
    private: ClassVar[bool] = True  # a reply reaches the citizen alone
    public_group: ClassVar[str] = "phone"
    secret_fields: ClassVar[tuple[str, ...]] = ("access_key", "secret_key", "inbound_token")
    # What the Naver Cloud Platform console gives (SENS project, the account's API key, the registered number);
    # the reply token is ours, for a two-way gateway's webhook.
    setup_fields: ClassVar[tuple[SetupField, ...]] = (
        SetupField("service_id", required=True),
        SetupField("access_key", secret=True, required=True),
        SetupField("secret_key", secret=True, required=True),
        SetupField("from_number", required=True),
        SetupField("api_url"),
        SetupField("gateway"),
        SetupField("inbound_token", secret=True, generated=True),
    )
    probes: ClassVar[bool] = True
    accepts_webhooks: ClassVar[bool] = True
    settles: ClassVar[bool] = True  # SENS lists what it took (gateways.py); other gateways cannot tell

    def probe(self, config: Mapping[str, Any]) -> None:
        """The account's gateway says whether its keys work (SENS: a signed read that sends nothing)."""
        try:
            gateway = gateway_for(config)
        except ChannelError as exc:
            raise ProbeError("channels.probe.sms.bad_gateway", exc.message) from exc
        gateway.probe(config)

    def verify(self, config: Mapping[str, Any], request: WebhookRequest) -> None:
        """The gateway's own check of its reply webhook (gateways without replies refuse)."""
        try:
            gateway = gateway_for(config)
        except ChannelError as exc:  # an unknown gateway, or the test one on a real account: refused, not a 500
            raise SignatureError(exc.message) from exc
        gateway.verify_inbound(config, headers=request.headers, body=request.body)

    def parse(self, config: Mapping[str, Any], payload: Any) -> list[InboundMessage]:
        """A reply webhook's messages, parsed by the account's gateway."""
        try:
            gateway = gateway_for(config)
        except ChannelError as exc:
            raise MalformedPayload(exc.message) from exc
        return gateway.parse_inbound(config, payload)

    def preview(self, delivery: Delivery) -> ChannelText:
        """SMS up to 90 EUC-KR bytes, else LMS up to 2,000, cut with the link beyond; characters the carriers
        cannot carry are named (they go as "?")."""
        full = reply_text(delivery)
        message = plan_message(full, url=tracking_link(delivery), subject=subject_of(delivery))
        limit = SMS_BYTES if message.type == "SMS" else LMS_BYTES
        lost = unsendable(full)
        return ChannelText(
            self.name,
            message.content,
            byte_length(message.content),
            limit,
            "bytes",
            message.content != carrier_safe(full.strip()),
            unsendable=lost,
        )

    def sample_author(self, rng: random.Random, *, name: str, phone: str, word: str) -> SampleAuthor:
        """The sender's mobile number, which is also where the answer goes."""
        return SampleAuthor(handle=phone, name=None, contact={"phone": phone})

    def _message(self, delivery: Delivery) -> tuple[str, SmsMessage]:
        phone = delivery.recipient or str((delivery.payload.get("contact") or {}).get("phone") or "")
        if not phone:
            raise ChannelError("sms: no phone number to send to", permanent=True)
        message = plan_message(
            reply_text(delivery), url=str(delivery.payload.get("tracking_url") or ""), subject=subject_of(delivery)
        )
        return normalise_number(phone), message

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """One SMS (or LMS when longer than 90 bytes) to the recipient's number."""
        config = self.account_config(delivery, session=session)
        to, message = self._message(delivery)
        return gateway_for(config).send(config, to=to, message=message)

    def settle(self, delivery: Delivery, *, session: Session) -> Settlement:
        """Ask the account's gateway whether a send a crash interrupted reached it (SENS lists what it took)."""
        if delivery.started_at is None:
            return UNSETTLED
        config = self.account_config(delivery, session=session)
        to, message = self._message(delivery)

        def taken(request_ids: Sequence[str]) -> set[str]:
            # Ids already recorded for other deliveries: the same text to the same number twice is two messages.
            rows = session.scalars(
                select(OutboxItem.external_ref).where(
                    OutboxItem.transport == self.name,
                    OutboxItem.external_ref.in_(list(request_ids)),
                    OutboxItem.id != delivery.item_id,
                )
            )
            return {ref for ref in rows if ref}

        return gateway_for(config).settle(config, to=to, message=message, started_at=delivery.started_at, taken=taken)
