"""Review before publishing (공개 검토): what of a case the public may see, and when; one action per change.

A case is on no public surface until it is released (`Case.released_at`; `cases.service.public_condition` is the
one condition every surface reads). Triage releases a case by itself only when it reads as administration-related,
the masker is sure of everything it found and the organisation allows it (`auto_release`); every other case waits
for an operator in the 공개 검토 list. Operators and the case's department can correct the public text, title and
answer copy at any status and hide a case at once; the citizen can make their own case private from the tracking
page, after which nobody can release it again.

Each action bumps the public generation in its transaction (every other web process compares it before serving
from its caches: portal/generation.py), commits, then calls the listeners registered with `on_public_change` (this
process's web app empties its page, feed and open-data caches there), so a hidden case leaves every cached public
page of every process at once, not after a TTL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sotong.actors import CITIZEN, SYSTEM, Actor, Role, require_department_or_org_wide, require_role
from sotong.audit.models import AuditEvent
from sotong.audit.service import record
from sotong.cases import links
from sotong.cases.actions.effects import MAX_TEXT_LENGTH, load_case, queue_to_citizen
from sotong.cases.inbound import DEFAULT_PRIVATE, VISIBILITY_KEY
from sotong.cases.models import (
    Answer,
    Case,
    CaseStatus,
    Conversation,
    ConversationStatus,
    Message,
    PublicGeneration,
)
from sotong.cases.wording import VISIBILITY_CHOSEN
from sotong.db import atomic, utcnow
from sotong.errors import IllegalTransition, InvalidInput, NotFound
from sotong.orgs.service import organisation
from sotong.outbox.models import OutboxItem
from sotong.text.pii import assess, mask

MAX_TITLE_LENGTH = 200
REVIEWERS = (Role.admin, Role.operator)
EDITORS = (Role.admin, Role.operator, Role.dept_manager, Role.officer)

_listeners: list[Callable[[int], None]] = []


def on_public_change(listener: Callable[[int], None]) -> None:
    """Call `listener(case_id)` after every committed change of what the public may see (idempotent)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _changed(case_id: int) -> None:
    for listener in list(_listeners):
        listener(case_id)


def _state(case: Case) -> dict[str, Any]:
    return {
        "is_public": case.is_public,
        "released": case.released_at is not None,
        "citizen_private": case.citizen_private,
    }


def bump_generation(session: Session) -> None:
    """Move the public generation on, inside the caller's transaction: every web process sees it before serving its
    next cached public page (portal/generation.py). An upsert: the row exists after the first change."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(PublicGeneration).values(id=1, value=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[PublicGeneration.id], set_={"value": PublicGeneration.value + 1}
        )
    )


def _record(session: Session, actor: Actor, case: Case, action: str, before: dict[str, Any], **details: Any) -> None:
    # Every change of what the public may see passes here: the generation moves in the same transaction.
    bump_generation(session)
    after = _state(case)
    record(
        session,
        actor=actor,
        action=f"case.{action}",
        org_id=case.org_id,
        case_id=case.id,
        before={k: v for k, v in before.items() if after.get(k) != v},
        after={k: v for k, v in after.items() if before.get(k) != v},
        details={k: v for k, v in details.items() if v is not None} or None,
    )


def _clean_text(value: str) -> str:
    text = value.replace("\x00", "").strip()
    if not text:
        raise InvalidInput("the public text cannot be empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput(f"the public text is longer than {MAX_TEXT_LENGTH} characters")
    return mask(text)


def _clean_title(value: str) -> str | None:
    title = " ".join(value.replace("\x00", "").split())
    if len(title) > MAX_TITLE_LENGTH:
        raise InvalidInput(f"the public title is longer than {MAX_TITLE_LENGTH} characters")
    return mask(title) or None


def _refuse_private(case: Case) -> None:
    if case.is_whistleblower:
        raise IllegalTransition("a 공익신고 is never published")
    if case.citizen_private:
        raise IllegalTransition("the citizen asked to keep this case private")
    if case.status in (CaseStatus.rejected, CaseStatus.transferred_out):
        raise IllegalTransition(f"a case that is {case.status.value} cannot be published")


def release(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    public_text: str | None = None,
    public_title: str | None = None,
) -> Case:
    """Publish the case's masked version (after correcting its text and title, when given): 공개 검토 done."""
    with atomic(session):
        case = load_case(session, actor, case_id)
        require_role(actor, *REVIEWERS, what="release cases to the public")
        _refuse_private(case)
        before = _state(case)
        if public_text is not None:
            case.public_text = _clean_text(public_text)
        if public_title is not None:
            case.public_title = _clean_title(public_title)
        if case.public_text is None:
            case.public_text = mask(case.body)
        case.is_public = True
        case.released_at = utcnow()
        _record(session, actor, case, "released", before, edited=public_text is not None or public_title is not None)
    _changed(case.id)
    return case


def auto_release(session: Session, *, case_id: int) -> bool:
    """Release a case triage found administration-related, when its organisation allows it and the masker is sure
    of everything in it; True when released. Called inside triage's transaction."""
    with atomic(session):
        case = load_case(session, SYSTEM, case_id)
        if case.released_at is not None or not case.is_public or case.citizen_private or case.is_whistleblower:
            return False
        if case.status in (CaseStatus.rejected, CaseStatus.transferred_out):
            return False
        if not organisation(session, case.org_id).auto_release:
            return False
        checked = assess(case.body)
        if checked.uncertain:
            return False  # a person looks first: 공개 검토
        before = _state(case)
        case.public_text = checked.masked
        case.released_at = utcnow()
        _record(session, SYSTEM, case, "released", before, automatic=True)
    _changed(case.id)
    return True


def edit_public(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    public_text: str | None = None,
    public_title: str | None = None,
    answer_id: int | None = None,
    answer_public_body: str | None = None,
) -> Case:
    """Correct what the public reads of a case (its text, its title, an answer's public copy), at any status.

    Whatever is written passes the masker again: an officer pasting the citizen's words back cannot publish them.
    """
    with atomic(session):
        case = load_case(session, actor, case_id)
        require_role(actor, *EDITORS, what="edit the public version")
        require_department_or_org_wide(actor, case.department_id, what="edit this case's public version")
        before = _state(case)
        fields: list[str] = []
        if public_text is not None:
            case.public_text = _clean_text(public_text)
            fields.append("public_text")
        if public_title is not None:
            case.public_title = _clean_title(public_title)
            fields.append("public_title")
        if answer_id is not None and answer_public_body is not None:
            reply = session.scalar(select(Answer).where(Answer.id == answer_id, Answer.case_id == case.id))
            if reply is None:
                raise NotFound("no such answer")
            reply.public_body = _clean_text(answer_public_body)
            fields.append("answer_public_body")
        if not fields:
            return case
        _record(session, actor, case, "public_edited", before, fields=fields, answer_id=answer_id)
    _changed(case.id)
    return case


def withhold(session: Session, *, actor: Actor, case_id: int, reason: str | None = None) -> Case:
    """Take a case off every public surface at once, or keep a case under review private (both: 비공개)."""
    with atomic(session):
        case = load_case(session, actor, case_id)
        require_role(actor, *EDITORS, what="hide cases from the public")
        require_department_or_org_wide(actor, case.department_id, what="hide this case from the public")
        before = _state(case)
        was_published = case.released_at is not None and case.is_public
        case.is_public = False
        case.released_at = None
        clean = (reason or "").replace("\x00", "").strip()[:500] or None
        _record(session, actor, case, "unpublished" if was_published else "kept_private", before, reason=clean)
    _changed(case.id)
    return case


def make_private_by_citizen(session: Session, *, case_number: str, token: str) -> Case:
    """The citizen makes their own case private (tracking page, proving who they are with the receipt's token):
    it leaves every public surface at once and can no longer be released."""
    with atomic(session):
        case = session.scalar(select(Case).where(Case.number == case_number))
        if case is None or not links.same_token(case.citizen_token, token):
            raise NotFound("no such case, or the token does not match")
        if case.citizen_private:
            return case
        before = _state(case)
        case.citizen_private = True
        case.is_public = False
        case.released_at = None
        _record(session, CITIZEN, case, "made_private", before)
    _changed(case.id)
    return case


# The citizen's answer to a private chat's receipt (cases/wording.ASK_VISIBILITY), typed or a quick reply.
CHAT_CHOICES = {"공개": "public", "공개 동의": "public", "비공개": "private", "비공개 유지": "private"}


def chat_choice(text: str) -> str | None:
    """ "public" or "private" when a chat message is nothing but the answer to 공개/비공개, else None."""
    return CHAT_CHOICES.get(" ".join(text.replace("\x00", " ").split()).rstrip(".!"))


@dataclass(frozen=True)
class ChatChoice:
    """What a citizen's 공개/비공개 answer did to their case, and the words they are told."""

    case: Case
    outcome: str  # "public", "private" or "refused" (made private for good earlier)
    text: str


def choose_in_chat(
    session: Session, *, account_id: int, author_handle: str, choice: str, reply_key: str, notify: bool
) -> ChatChoice | None:
    """The citizen answers their private chat's receipt: 공개 lifts the default 비공개 (the case then waits in
    공개 검토 like any other), 비공개 makes it private for good (as on the tracking page). Applies to the author's
    latest case from this account that asked; None when there is none (the words are then an ordinary message).

    `notify`: queue the answer to the citizen (TalkTalk), once per `reply_key` (the platform's id of the chat
    message: a redelivered webhook is told nothing twice); Kakao shows it in its skill response instead.
    """
    if choice not in ("public", "private"):
        raise InvalidInput(f"unknown choice {choice!r}")
    with atomic(session):
        query = (
            select(Case)
            .where(Case.channel_account_id == account_id, Case.author_handle == author_handle)
            .order_by(Case.id.desc())
            .limit(1)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        case = session.scalar(query.execution_options(populate_existing=True))
        if case is None or case.is_whistleblower:
            return None
        gathering = session.scalar(
            select(Conversation.id).where(
                Conversation.channel_account_id == account_id,
                Conversation.author_handle == author_handle,
                Conversation.status == ConversationStatus.gathering,
            )
        )
        if gathering is not None:
            return None  # a new complaint is being written: the word belongs to it, not to an older case
        first = session.scalar(select(Message).where(Message.case_id == case.id).order_by(Message.id).limit(1))
        made_private = session.scalar(
            select(AuditEvent.id)
            .where(AuditEvent.case_id == case.id, AuditEvent.action == "case.made_private")
            .limit(1)
        )
        if first is None or not _was_asked(first):
            return None  # not a chat that asked: the words are an ordinary message
        before = _state(case)
        if choice == "public" and made_private is not None:
            outcome = "refused"
        elif choice == "public":
            outcome = "public"
            if case.citizen_private:
                case.citizen_private = False
                case.is_public = True
                _record(session, CITIZEN, case, "public_chosen", before)
        else:
            outcome = "private"
            if made_private is None:
                case.citizen_private = True
                case.is_public = False
                case.released_at = None
                _record(session, CITIZEN, case, "made_private", before, channel="chat")
        text = VISIBILITY_CHOSEN[outcome]
        key = f"{outcome}:{reply_key}"
        if (
            notify
            and session.scalar(
                select(OutboxItem.id).where(OutboxItem.idempotency_key == f"visibility_notice:{case.id}:{key}")
            )
            is None
        ):
            queue_to_citizen(session, case, kind="visibility_notice", key=key, payload={"text": text})
    _changed(case.id)
    return ChatChoice(case=case, outcome=outcome, text=text)


def _was_asked(first: Message) -> bool:
    """The case's first message came from a chat that asks (its case may since have been made public)."""
    return isinstance(first.raw, dict) and first.raw.get(VISIBILITY_KEY) == DEFAULT_PRIVATE
