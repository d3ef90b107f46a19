"""The web form as a channel: complaints typed on the portal (/report, portal/report.py), answered by text or
mail when the citizen left a number or an address (channels/replies.py), always on the tracking page."""

from __future__ import annotations

import random
from typing import ClassVar

from sotong.channels.base import ChannelText, SampleAuthor
from sotong.channels.replies import ReplyConnector
from sotong.outbox.transports import Delivery


class WebConnector(ReplyConnector):
    """No receipt is sent (the citizen just read it on the screen); answers go by SMS or e-mail if they can."""

    name: ClassVar[str] = "web"
    public_group: ClassVar[str] = "web"
    text_receipts: ClassVar[bool] = False

    def preview(self, delivery: Delivery) -> ChannelText:
        """The whole answer, as the citizen reads it on the tracking page."""
        text = str(delivery.payload.get("body") or "")
        return ChannelText(self.name, text, len(text), None, "none", False)

    def sample_author(self, rng: random.Random, *, name: str, phone: str, word: str) -> SampleAuthor:
        """No handle: a mobile number or an e-mail address left on the form."""
        if rng.random() < 0.5:
            return SampleAuthor(handle=None, name=None, contact={"phone": phone})
        return SampleAuthor(handle=None, name=None, contact={"email": f"{word}{rng.randrange(10, 999)}@example.net"})
