"""The worker's pass that turns silent chat conversations into cases (cases/actions/conversations.py).

A citizen's bubbles on a chat channel are stored as they arrive, under their conversation, with no case; once
the account's window of silence has passed, this pass opens one case from all of them, with one receipt. Any
number of workers may run it: each conversation is opened by one (its row locked, `SKIP LOCKED` on PostgreSQL;
the status re-checked inside the transaction), and a bubble arriving meanwhile either joins before or follows
the case up after.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.actions import open_conversation
from sotong.cases.models import Conversation, ConversationStatus
from sotong.db import utcnow

log = logging.getLogger(__name__)

BATCH = 200


def close_silent(session_factory: Callable[[], Session], *, now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Open the case of each conversation that fell silent by `now`; returns how many cases were opened."""
    now = now or utcnow()
    with session_factory() as session:
        due = list(
            session.scalars(
                select(Conversation.id)
                .where(Conversation.status == ConversationStatus.gathering, Conversation.closes_at <= now)
                .order_by(Conversation.closes_at, Conversation.id)
                .limit(batch)
            )
        )
        session.rollback()
    opened = 0
    for conversation_id in due:
        with session_factory() as session:
            try:
                opened += open_conversation(session, conversation_id=conversation_id, now=now) is not None
            except Exception:  # one broken conversation must not hold back the others; retried next pass
                log.exception("conversation %s could not be opened as a case", conversation_id)
    return opened
