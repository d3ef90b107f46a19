"""A chat conversation that fell silent becomes one case: all its bubbles, one triage look, one receipt.

Intake stores chat bubbles at once under their author's gathering conversation (intake.py `_gather`); the
worker's pass (channels/intake/conversations.py) calls `open_conversation` for each conversation whose window of
silence has passed. The conversation row is locked while its case is opened, so a bubble arriving at that moment
waits and then follows the new case up; and a second worker skips the row (or finds it opened), so a case is
opened once whatever the number of workers.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CITIZEN, Actor
from sotong.cases.actions.effects import next_numbers, set_deadlines
from sotong.cases.actions.intake import _new_case, _opened, category_hint
from sotong.cases.assessment import Submitted, assess
from sotong.cases.inbound import VISIBILITY_KEY, InboundMessage
from sotong.cases.models import Attachment, Case, Conversation, ConversationStatus, Message
from sotong.db import atomic, utcnow
from sotong.errors import NotFound
from sotong.orgs.models import ChannelAccount
from sotong.orgs.service import organisation


def open_conversation(
    session: Session, *, conversation_id: int, now: dt.datetime | None = None, actor: Actor = CITIZEN
) -> Case | None:
    """Open the case of a silent conversation from all its bubbles, with one receipt threaded to the first.

    None when there is nothing to do: a bubble came meanwhile (not silent yet), another worker holds or has
    opened it.
    """
    now = now or utcnow()
    with atomic(session):
        due = select(Conversation).where(
            Conversation.id == conversation_id,
            Conversation.status == ConversationStatus.gathering,
            Conversation.closes_at <= now,
        )
        if session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        conversation = session.scalar(due)
        if conversation is None:
            return None
        account = session.get(ChannelAccount, conversation.channel_account_id)
        if account is None:
            raise NotFound(f"unknown channel account {conversation.channel_account_id}")
        org = organisation(session, account.org_id)
        messages = list(
            session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation.id)
                .order_by(Message.received_at, Message.id)
            )
        )
        conversation.status = ConversationStatus.opened
        if not messages:
            return None  # nothing was kept (cannot happen through intake): nothing to open
        first = messages[0]
        text = "\n".join(message.text for message in messages if message.text.strip())
        whole = InboundMessage(
            external_id=first.external_id,
            text=text,
            received_at=first.received_at,
            author_handle=first.author_handle,
            author_name=first.author_name,
            raw=first.raw,
            latitude=next((m.latitude for m in messages if m.latitude is not None), None),
            longitude=next((m.longitude for m in messages if m.longitude is not None), None),
            address=next((m.address for m in messages if m.address), None),
            # A private chat's bubbles say so in their raw body: its case opens private (cases/inbound.py).
            visibility=first.raw.get(VISIBILITY_KEY) if isinstance(first.raw, dict) else None,
        )
        case = _new_case(account, whole, text, now)
        has_photo = (
            session.scalar(select(Attachment.id).where(Attachment.message_id.in_([m.id for m in messages])).limit(1))
            is not None
        )
        # Triage's first look reads the whole conversation: a greeting alone is chatter, a greeting followed by
        # the complaint is not.
        assessments = assess(session, org.id, [Submitted(text, has_photo, category_hint(whole))])
        assessment = assessments[0] if assessments is not None else None
        if assessment is not None:
            case.complaint_type = assessment.complaint_type
        [case.number] = next_numbers(session, org, [case.received_at])
        set_deadlines(session, case, start=case.received_at)
        session.add(case)
        session.flush()
        for message in messages:
            message.case_id = case.id
        conversation.case_id = case.id
        session.flush()
        _opened(session, actor, account, org, case, first, assessment)
        return case
