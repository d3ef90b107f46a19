"""Outbound for Open311: the citizen's app reads receipts and answers back through GET /requests, so a reply is
"delivered" when it is visible there. Registered so such items complete instead of failing as unroutable."""

from __future__ import annotations

from sqlalchemy.orm import Session

from sotong.outbox.transports import Delivery, Transport


class Open311Transport(Transport):
    name = "open311"
    private = True  # read back by the citizen's own app

    def send(self, delivery: Delivery, *, session: Session) -> str | None:
        """Nothing to push: the request's status and status_notes already show it."""
        return None
