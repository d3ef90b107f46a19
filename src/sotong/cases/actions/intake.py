"""Intake: a citizen's message stored exactly once, opening its case or following one up, with its receipt.

Channels hand their messages here (channels/intake/), the web form and the portal's follow-up form too. The
same platform message twice (a retry, an overlapping poll) is stored once; a page of messages goes in together.
A chat bubble is stored at once under its author's gathering conversation and opens no case by itself: the
conversation's case is opened when it falls silent (conversations.py), or, while the author's case is open, the
bubble follows that case up.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sotong.actors import (
    CITIZEN,
    SYSTEM,
    Actor,
)
from sotong.audit.service import record
from sotong.cases import links
from sotong.cases.actions.effects import (
    attach_follow_up,
    next_numbers,
    queue_to_citizen,
    set_deadlines,
    snapshot,
    store_attachments,
    validate_text,
)
from sotong.cases.actions.lifecycle import reject
from sotong.cases.assessment import Assessment, Submitted, assess
from sotong.cases.attachments import validate_image
from sotong.cases.inbound import DEFAULT_PRIVATE, InboundMessage
from sotong.cases.models import (
    Case,
    CaseStatus,
    ComplaintType,
    Conversation,
    ConversationStatus,
    Message,
    RejectReason,
)
from sotong.db import atomic, utcnow
from sotong.errors import (
    DuplicateSubmission,
    IllegalTransition,
    InvalidInput,
    NotFound,
)
from sotong.orgs.models import ChannelAccount, Organisation
from sotong.orgs.service import organisation
from sotong.outbox.models import OutboxItem
from sotong.settings import get_settings
from sotong.text.pii import mask

TITLE_LENGTH = 60
# How long a citizen's chat may stay silent before their bubbles become one case (the account's
# `conversation_minutes` overrides it; 0 makes every bubble a case of its own, as e-mail and X messages are).
CONVERSATION_MINUTES = 3.0
# Statuses in which a case takes a chat bubble as a follow-up; after these, the citizen's next words are new.
ENDED = (CaseStatus.closed, CaseStatus.rejected)


@dataclass(frozen=True)
class IntakeResult:
    message: Message
    # None: a chat bubble gathering into its conversation (message.conversation_id), whose case opens later.
    case: Case | None
    created: bool  # False: this platform message was already stored (a retry or an overlapping poll)
    new_case: bool  # False: the message was attached to an existing case as a follow-up, or is gathering


def conversation_window(account: ChannelAccount) -> dt.timedelta:
    """The silence after which an account's chat bubbles become one case (0: each bubble is a case)."""
    value = (account.config or {}).get("conversation_minutes")
    try:
        minutes = float(value) if value not in (None, "") else CONVERSATION_MINUTES
    except (TypeError, ValueError):
        minutes = CONVERSATION_MINUTES
    return dt.timedelta(minutes=max(0.0, min(minutes, 24 * 60)))


def _stored_text(inbound: InboundMessage) -> str:
    """The message's text as it will be stored (a photo may come without words)."""
    return validate_text(inbound.text) if not inbound.attachments else inbound.text.strip()


def check_inbound(inbound: InboundMessage) -> str:
    """The message's text as it will be stored; InvalidInput or AttachmentRejected if intake cannot store it."""
    text = _stored_text(inbound)
    if inbound.received_at.tzinfo is None:
        raise InvalidInput("received_at must be timezone-aware")
    if len(inbound.attachments) > get_settings().max_attachments:
        raise InvalidInput(f"at most {get_settings().max_attachments} attachments per message")
    for attachment in inbound.attachments:  # refuse before writing anything
        validate_image(attachment.data, attachment.filename)
    return text


def receive_message(
    session: Session, *, account_id: int, inbound: InboundMessage, actor: Actor = CITIZEN
) -> IntakeResult:
    """Store an inbound message exactly once and open a case for it, or attach it to its case as a follow-up.

    A platform message already stored (same channel, account and external id) returns the stored one with
    `created=False`: retries and overlapping polls are harmless.
    """
    check_inbound(inbound)
    existing = _existing_message(session, account_id, inbound.external_id)
    if existing is not None:
        return existing
    try:
        return receive_new_messages(session, account_id=account_id, inbounds=[inbound], actor=actor)[0]
    except IntegrityError:
        # Another request stored the same platform message between our check and our insert.
        existing = _existing_message(session, account_id, inbound.external_id)
        if existing is None:
            raise
        return existing


def receive_new_messages(
    session: Session, *, account_id: int, inbounds: Sequence[InboundMessage], actor: Actor = CITIZEN
) -> list[IntakeResult]:
    """Store messages of one account not stored before (a poll page), in one transaction: all or none.

    Each opens a case or follows up the case of the message it answers (one earlier in the same batch
    included). The caller has passed each through `check_inbound` and left out those already stored; one
    stored meanwhile by another worker raises IntegrityError (nothing is kept), and the caller takes the
    messages in one by one instead. Per batch, not per message: one sequence update per year for the case
    numbers, one INSERT each for cases, messages, audit events and receipts, one search reindex.
    """
    if not inbounds:
        return []
    with atomic(session):
        account = session.get(ChannelAccount, account_id)
        if account is None:
            raise NotFound(f"unknown channel account {account_id}")
        if not account.enabled:
            raise InvalidInput(f"channel account {account.handle!r} is disabled")
        org = organisation(session, account.org_id)
        now = utcnow()
        stored_parents = _follow_up_targets(session, account, inbounds)
        # Which message opens a case and which follows one up, in arrival order: a reply may answer a message
        # earlier in this very batch, whose case is opened just above it.
        by_external_id: dict[str, Case] = {}
        plan: list[tuple[InboundMessage, str, Case | None]] = []
        chats: list[tuple[InboundMessage, str]] = []
        window = conversation_window(account)
        for inbound in inbounds:
            # The text alone: the photos were checked by the caller (check_inbound), and decoding them is the dear part.
            text = _stored_text(inbound)
            reply_to = inbound.in_reply_to_external_id
            parent = (by_external_id.get(reply_to) or stored_parents.get(reply_to)) if reply_to else None
            if parent is None and inbound.chat and inbound.author_handle and window:
                chats.append((inbound, text))
                continue
            plan.append((inbound, text, parent))
            if parent is not None:
                by_external_id[inbound.external_id] = parent
            else:
                by_external_id[inbound.external_id] = _new_case(account, inbound, text, now)
        opened = [by_external_id[inbound.external_id] for inbound, _text, parent in plan if parent is None]
        # Triage's first look before the deadline and the receipt: chatter is no complaint, and a suggestion's
        # receipt must promise 14 days, not the 3 working hours of 기타.
        assessments = assess(
            session,
            org.id,
            [
                Submitted(text, bool(inbound.attachments), category_hint(inbound))
                for inbound, text, parent in plan
                if parent is None
            ],
        )
        assessed: dict[int, Assessment] = {}
        for i, case in enumerate(opened):
            if assessments is not None:
                assessed[id(case)] = assessments[i]
                case.complaint_type = assessments[i].complaint_type
        for case, number in zip(opened, next_numbers(session, org, [c.received_at for c in opened]), strict=True):
            case.number = number
            set_deadlines(session, case, start=case.received_at)
        messages: list[Message] = []
        for inbound, text, _parent in plan:
            message = _new_message(account, inbound, text)
            case = by_external_id[inbound.external_id]
            if case.id is None:
                message.case = case  # opened in this batch: the flush inserts it first and fills in its id
            else:
                message.case_id = case.id
            messages.append(message)
        session.add_all(opened)
        session.add_all(messages)
        session.flush()  # cases then messages, one INSERT each; the unique constraint speaks here for a duplicate
        results: list[IntakeResult] = []
        for (inbound, _text, parent), message in zip(plan, messages, strict=True):
            store_attachments(session, inbound, message)
            if parent is not None:
                attach_follow_up(session, actor, parent, message)
                results.append(IntakeResult(message=message, case=parent, created=True, new_case=False))
                continue
            case = by_external_id[inbound.external_id]
            _opened(session, actor, account, org, case, message, assessed.get(id(case)))
            results.append(IntakeResult(message=message, case=case, created=True, new_case=True))
        for inbound, text in chats:  # in arrival order: the first bubble starts the conversation the next join
            results.append(_gather(session, actor, account, inbound, text, now=now, window=window))
        order = {inbound.external_id: i for i, inbound in enumerate(inbounds)}
        return sorted(results, key=lambda result: order[result.message.external_id])


def _gather(
    session: Session,
    actor: Actor,
    account: ChannelAccount,
    inbound: InboundMessage,
    text: str,
    *,
    now: dt.datetime,
    window: dt.timedelta,
) -> IntakeResult:
    """Store a chat bubble: into its author's gathering conversation (the silence restarts), as a follow-up of
    their open case, or as the first bubble of a new conversation.

    Concurrent bubbles of one author meet on the conversation row: it is locked to join it, and a second one
    cannot be started beside it (a partial unique index: the loser of that race joins the winner's). A bubble
    that waits for the lock while the worker opens the conversation's case finds the case and follows it up.

    Follow-up bubbles come in bursts as the first complaint did: the first bubble after a silence of the
    account's window tells whoever holds the case, the bubbles that follow it within the window join that one
    notification (`_in_burst`).
    """
    assert inbound.author_handle is not None
    closes_at = now + window
    message = _new_message(account, inbound, text)
    for _attempt in range(3):
        conversation = session.scalar(
            select(Conversation)
            .where(
                Conversation.channel_account_id == account.id,
                Conversation.author_handle == inbound.author_handle,
                Conversation.status == ConversationStatus.gathering,
            )
            .with_for_update()
        )
        if conversation is not None:
            conversation.last_message_at = max(conversation.last_message_at, inbound.received_at)
            conversation.closes_at = max(conversation.closes_at, closes_at)
            message.conversation_id = conversation.id
            session.add(message)
            session.flush()
            store_attachments(session, inbound, message)
            return IntakeResult(message=message, case=None, created=True, new_case=False)
        case = open_case_of(session, account, inbound.author_handle)
        if case is not None:
            # The case row is locked first: two bubbles of one burst taken in by two workers at once are then
            # counted one after the other, and only the first of them notifies.
            session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
            quiet = _in_burst(session, case, account, inbound.author_handle, since=now - window)
            message.case_id = case.id
            session.add(message)
            session.flush()
            store_attachments(session, inbound, message)
            attach_follow_up(session, actor, case, message, notify_holder=not quiet)
            return IntakeResult(message=message, case=case, created=True, new_case=False)
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        session.execute(
            insert(Conversation)
            .values(
                org_id=account.org_id,
                channel_account_id=account.id,
                author_handle=inbound.author_handle,
                status=ConversationStatus.gathering.value,
                started_at=inbound.received_at,
                last_message_at=inbound.received_at,
                closes_at=closes_at,
            )
            .on_conflict_do_nothing(
                index_elements=["channel_account_id", "author_handle"],
                index_where=Conversation.status == ConversationStatus.gathering.value,
            )
        )
        # Started here, or by a concurrent bubble of the same author: joined on the next turn either way.
    raise RuntimeError(f"account {account.id}: no conversation to gather message {inbound.external_id} into")


def _in_burst(session: Session, case: Case, account: ChannelAccount, author_handle: str, *, since: dt.datetime) -> bool:
    """Whether the author's previous message on this case from this account was stored after `since` (within
    the window of silence): the bubble is then part of a follow-up already notified."""
    previous = session.scalar(
        select(Message.id)
        .where(
            Message.case_id == case.id,
            Message.channel_account_id == account.id,
            Message.author_handle == author_handle,
            Message.created_at > since,
        )
        .limit(1)
    )
    return previous is not None


def open_case_of(session: Session, account: ChannelAccount, author_handle: str) -> Case | None:
    """The author's latest case from this account that still takes follow-ups (followed through transfers)."""
    case = session.scalar(
        select(Case)
        .where(
            Case.channel_account_id == account.id,
            Case.author_handle == author_handle,
            Case.status.not_in(ENDED),
        )
        .order_by(Case.received_at.desc(), Case.id.desc())
        .limit(1)
    )
    seen: set[int] = set()
    while case is not None and case.transferred_to_case_id is not None and case.id not in seen:
        seen.add(case.id)
        case = session.get(Case, case.transferred_to_case_id)
    return case if case is not None and case.status not in ENDED else None


def _existing_message(session: Session, account_id: int, external_id: str) -> IntakeResult | None:
    account = session.get(ChannelAccount, account_id)
    if account is None:
        raise NotFound(f"unknown channel account {account_id}")
    message = session.scalar(
        select(Message).where(
            Message.channel == account.channel,
            Message.channel_account_id == account_id,
            Message.external_id == external_id,
        )
    )
    if message is None:
        return None
    if message.case_id is None:
        return IntakeResult(message=message, case=None, created=False, new_case=False)  # still gathering
    case = session.get(Case, message.case_id)
    assert case is not None
    return IntakeResult(message=message, case=case, created=False, new_case=False)


def _follow_up_targets(
    session: Session, account: ChannelAccount, inbounds: Sequence[InboundMessage]
) -> dict[str, Case]:
    """The case each stored message that these messages reply to belongs to, by its external id (one SELECT)."""
    replied_to = {inbound.in_reply_to_external_id for inbound in inbounds if inbound.in_reply_to_external_id}
    if not replied_to:
        return {}
    rows = session.execute(
        select(Message.external_id, Message.case_id).where(
            Message.channel_account_id == account.id,
            Message.external_id.in_(replied_to),
            Message.case_id.is_not(None),
        )
    )
    targets: dict[str, Case] = {}
    for external_id, case_id in rows:
        case = session.get(Case, case_id)
        # A reply to a case since transferred to another organisation belongs to the case there now.
        seen: set[int] = set()
        while case is not None and case.transferred_to_case_id is not None and case.id not in seen:
            seen.add(case.id)
            case = session.get(Case, case.transferred_to_case_id)
        if case is not None:
            targets[external_id] = case
    return targets


def _new_message(account: ChannelAccount, inbound: InboundMessage, text: str) -> Message:
    return Message(
        org_id=account.org_id,
        channel=account.channel,
        channel_account_id=account.id,
        external_id=inbound.external_id,
        in_reply_to_external_id=inbound.in_reply_to_external_id,
        author_handle=inbound.author_handle,
        author_name=inbound.author_name,
        text=text,
        raw=inbound.raw,
        latitude=inbound.latitude,
        longitude=inbound.longitude,
        address=inbound.address,
        received_at=inbound.received_at,
    )


def _new_case(account: ChannelAccount, inbound: InboundMessage, text: str, now: dt.datetime) -> Case:
    """The case a new message opens, before its number and deadlines."""
    received = min(inbound.received_at, now)
    return Case(
        org_id=account.org_id,
        status=CaseStatus.received,
        complaint_type=ComplaintType.other,
        department_id=account.department_id,
        channel=account.channel,
        channel_account_id=account.id,
        author_handle=inbound.author_handle,
        contact=dict(inbound.contact),
        title=_title(text),
        body=text,
        public_text=mask(text),
        latitude=inbound.latitude,
        longitude=inbound.longitude,
        address=inbound.address,
        received_at=received,
        citizen_token=secrets.token_urlsafe(24),
        due_at=received,  # replaced by set_deadlines
        # The citizen's 비공개 or 공익신고 holds from the first second: neither can ever be released. A private
        # chat's case is private until the citizen answers 공개 (publication.choose_in_chat).
        is_public=inbound.visibility not in ("private", "whistleblower", DEFAULT_PRIVATE),
        citizen_private=inbound.visibility in ("private", DEFAULT_PRIVATE),
        is_whistleblower=inbound.visibility == "whistleblower",
    )


def category_hint(inbound: InboundMessage) -> str | None:
    """The citizen's own 분야 choice (a category code of the organisation), where the channel asks for one."""
    hint = inbound.raw.get("category_hint") if isinstance(inbound.raw, dict) else None
    return str(hint)[:64] if hint else None


def _opened(
    session: Session,
    actor: Actor,
    account: ChannelAccount,
    org: Organisation,
    case: Case,
    message: Message,
    assessment: Assessment | None,
) -> None:
    """What opening a case writes beside it: the public event, and the receipt threaded to its first message
    (stating the deadline of the complaint's type), or for chatter the organisation's chosen reply."""
    details: dict[str, Any] = {"channel": account.channel, "account": account.handle, "message_id": message.id}
    if assessment is not None:
        details["assessment"] = assessment.explanation
    record(
        session,
        actor=actor,
        action="case.received",
        org_id=case.org_id,
        case_id=case.id,
        after=snapshot(case),
        details=details,
        is_public=True,
    )
    if assessment is not None and not assessment.relevant:
        _chatter(session, org, case, message, assessment)
        return
    queue_to_citizen(session, case, kind="receipt", key="1", payload={"due_at": case.due_at.isoformat()}, first=message)


def _chatter(session: Session, org: Organisation, case: Case, message: Message, assessment: Assessment) -> None:
    """Not a complaint: hidden at once (kept; an operator can restore it), so it never reaches a department nor
    the public list, and answered as the organisation chose: a polite acknowledgement, or nothing."""
    reject(
        session,
        actor=SYSTEM,
        case_id=case.id,
        reason=RejectReason.not_relevant,
        note=f"자동 판단: 행정 관련 아님 ({assessment.explanation})",
    )
    if org.chatter_reply == "acknowledge":
        queue_to_citizen(session, case, kind="acknowledgement", key="1", payload={}, first=message)


def _title(text: str) -> str:
    first_line = mask(text).strip().splitlines()[0] if text.strip() else ""
    return first_line[:TITLE_LENGTH] + ("…" if len(first_line) > TITLE_LENGTH else "")


VISIBILITIES = ("public", "private", "whistleblower")


def submit_web_form(
    session: Session,
    *,
    org_slug: str,
    text: str,
    submission_id: str,
    received_at: dt.datetime | None = None,
    category_hint: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    address: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    attachments: tuple[Any, ...] = (),
    visibility: str = "public",
) -> Case:
    """A complaint from the public web form; the same submission twice is refused with its case number.

    `visibility`: the citizen's 공개 / 비공개 / 공익신고 choice."""
    validate_text(text)
    if visibility not in VISIBILITIES:
        raise InvalidInput(f"visibility must be one of {', '.join(VISIBILITIES)}", field="visibility")
    if not submission_id or len(submission_id) > 120:
        raise InvalidInput("submission_id must be 1-120 characters")
    if (latitude is not None and not -90 <= latitude <= 90) or (longitude is not None and not -180 <= longitude <= 180):
        raise InvalidInput("latitude/longitude out of range")
    org = session.scalar(select(Organisation).where(Organisation.slug == org_slug))
    if org is None:
        raise NotFound(f"unknown organisation {org_slug!r}")
    account = session.scalar(
        select(ChannelAccount).where(ChannelAccount.org_id == org.id, ChannelAccount.channel == "web")
    )
    if account is None:
        raise NotFound(f"{org.name} takes no web form complaints")
    contact = {k: v for k, v in (("phone", phone), ("email", email)) if v}
    inbound = InboundMessage(
        external_id=f"web:{submission_id}",
        text=text,
        received_at=received_at or utcnow(),
        author_handle=email or phone,
        raw={"category_hint": category_hint, "submission_id": submission_id},
        attachments=tuple(attachments),
        latitude=latitude,
        longitude=longitude,
        address=address,
        contact=contact,
        visibility=visibility,
    )
    result = receive_message(session, account_id=account.id, inbound=inbound)
    assert result.case is not None  # a form is never a chat bubble
    if not result.created:
        raise DuplicateSubmission(
            f"this form was already received as case {result.case.number}", case_number=result.case.number
        )
    return result.case


def follow_up_from_portal(session: Session, *, case_number: str, token: str, text: str, submission_id: str) -> Case:
    """A follow-up question the citizen writes on the case page (the receipt's token proves who they are).

    It is stored as a web message of the case, like a reply on any channel: an answered or closed case reopens
    with a new statutory period, and the officer is told. The same form sent twice is stored once.
    """
    text = validate_text(text)
    if not submission_id or len(submission_id) > 120:
        raise InvalidInput("submission_id must be 1-120 characters")
    with atomic(session):
        case = session.scalar(select(Case).where(Case.number == case_number))
        if case is None or not links.same_token(case.citizen_token, token):
            raise NotFound("no such case, or the token does not match")
        # A case since transferred: the question belongs to the case at the competent organisation now (the
        # citizen's link and token still name the first one).
        seen: set[int] = set()
        while case.transferred_to_case_id is not None and case.id not in seen:
            seen.add(case.id)
            following = session.get(Case, case.transferred_to_case_id)
            if following is None:
                break
            case = following
        if case.status in (CaseStatus.rejected, CaseStatus.transferred_out):
            raise IllegalTransition(f"a case that is {case.status.value} takes no follow-up here")
        account = session.scalar(
            select(ChannelAccount).where(ChannelAccount.org_id == case.org_id, ChannelAccount.channel == "web")
        )
        if account is None:
            raise NotFound("this organisation takes no web follow-ups")
        external_id = f"web-follow-up:{submission_id}"
        if session.scalar(
            select(Message.id).where(Message.channel_account_id == account.id, Message.external_id == external_id)
        ):
            raise DuplicateSubmission("this follow-up was already received", case_number=case.number)
        message = Message(
            org_id=case.org_id,
            case_id=case.id,
            channel=account.channel,
            channel_account_id=account.id,
            external_id=external_id,
            text=text,
            received_at=utcnow(),
        )
        session.add(message)
        session.flush()
        attach_follow_up(session, CITIZEN, case, message)
    return case


def send_tracking_link(
    session: Session, *, case_number: str, token: str, phone: str | None = None, email: str | None = None
) -> Case:
    """Send the receipt's tracking link to a number or address the citizen types on the receipt page, once.

    Once per case: the page is public, so a second request (another number, a script) is refused rather than
    turning the form into a way to text strangers. The number or address goes into the outbox row only, not
    into the case's contact (the citizen asked for this one message, not for answers there).
    """
    if bool(phone) == bool(email):
        raise InvalidInput("give a mobile number or an e-mail address")
    with atomic(session):
        case = session.scalar(select(Case).where(Case.number == case_number).with_for_update())
        if case is None or not links.verify(case_number=case.number, citizen_token=case.citizen_token, presented=token):
            raise NotFound("no such case, or the token does not match")
        key = f"tracking_link:{case.id}:1"
        if session.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key)) is not None:
            raise DuplicateSubmission("the link was already sent for this case", case_number=case.number)
        by = "sms" if phone else "email"
        record(
            session,
            actor=CITIZEN,
            action="case.tracking_link_sent",
            org_id=case.org_id,
            case_id=case.id,
            details={"by": by},
        )
        contact = {"phone": phone} if phone else {"email": email}
        queue_to_citizen(session, case, kind="tracking_link", key="1", payload={"contact": contact})
    return case
