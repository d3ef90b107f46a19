"""Handing parsed messages to intake, one message per transaction, so a retried batch is harmless."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.actions import receive_message
from sotong.cases.models import Message
from sotong.channels.base import InboundMessage
from sotong.channels.media import with_media
from sotong.errors import AttachmentRejected, InvalidInput

log = logging.getLogger(__name__)


@dataclass
class TakeInResult:
    """How a batch went: new messages, ones already stored (retries, overlapping polls), refused ones."""

    stored: int = 0
    duplicates: int = 0
    refused: int = 0


def _stored(session: Session, account_id: int, external_id: str) -> bool:
    found = session.scalar(
        select(Message.id).where(Message.channel_account_id == account_id, Message.external_id == external_id)
    )
    session.rollback()  # a read only: no transaction stays open while photos download
    return found is not None


def take_in(session: Session, *, account_id: int, messages: Iterable[InboundMessage]) -> TakeInResult:
    """Store each message exactly once (opening a case or attaching a follow-up); refusals are logged, not fatal."""
    result = TakeInResult()
    for inbound in messages:
        if inbound.media_urls and not _stored(session, account_id, inbound.external_id):
            inbound = with_media(inbound)  # only for new messages: a retry never downloads again
        try:
            outcome = receive_message(session, account_id=account_id, inbound=inbound)
        except (InvalidInput, AttachmentRejected) as exc:
            # One unusable message must not make the platform redeliver (and us re-store) the rest forever.
            log.warning("account %s: message %s refused: %s", account_id, inbound.external_id, exc)
            result.refused += 1
            continue
        if outcome.created:
            result.stored += 1
        else:
            result.duplicates += 1
    return result
