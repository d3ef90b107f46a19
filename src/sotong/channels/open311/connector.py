"""Open311 as a channel: requests POSTed by applications (api/open311.py, actions.py), read back through
GET /requests, so a receipt or an answer is "delivered" once it is visible there."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy.orm import Session

from sotong.channels.base import Connector
from sotong.outbox.transports import Delivery


class Open311Connector(Connector):
    idempotent: ClassVar[bool] = True  # nothing leaves: the client reads the request's status
    """Nothing leaves: the citizen's application reads the request's status and notes back."""

    name: ClassVar[str] = "open311"
    private: ClassVar[bool] = True  # read back by the citizen's own app
    public_group: ClassVar[str] = "web"

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Nothing to push: the request's status and status_notes already show it."""
        return None
