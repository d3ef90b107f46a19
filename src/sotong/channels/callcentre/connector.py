"""The 120 call centre and the counter as channels: complaints imported from their exports (importer.py),
answered by text or mail when the caller left a number or an address (channels/replies.py)."""

from __future__ import annotations

from typing import ClassVar

from sotong.channels.replies import ReplyConnector


class PhoneConnector(ReplyConnector):
    """The 120 call centre (다산콜): the caller gets the receipt by text too, so they have the number in writing."""

    name: ClassVar[str] = "phone"
    public_group: ClassVar[str] = "phone"


class VisitConnector(ReplyConnector):
    """The counter (종합민원실): as the call centre."""

    name: ClassVar[str] = "visit"
    public_group: ClassVar[str] = "visit"
