"""Adding an internal note to a case, and reading a case's notes."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.actors import WRITE_ROLES, Actor, can_see_case, require_case_visible
from sotong.audit.service import record
from sotong.cases.models import Case
from sotong.db import atomic, in_atomic
from sotong.errors import InvalidInput, NotFound, PermissionDenied
from sotong.i18n import translate
from sotong.notes.models import Note
from sotong.notifications.service import notify
from sotong.orgs.models import User
from sotong.text.pii import mask

MAX_NOTE_LENGTH = 5_000
EXCERPT = 80
# A mention starts a word: "@choi.officer" yes, "me@example.com" no. Usernames may hold dots, dashes and
# underscores; a dot that ends the sentence ("@choi.officer.") is not part of the name.
MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})")


def mentioned_usernames(body: str) -> list[str]:
    """The distinct `@username`s in a note, in order of appearance."""
    names: list[str] = []
    for match in MENTION.finditer(body):
        name = match.group(1).rstrip(".-_")
        if name and name.lower() not in (n.lower() for n in names):
            names.append(name)
    return names


def add_note(session: Session, *, actor: Actor, case_id: int, body: str) -> tuple[Note, list[str]]:
    """Add a staff note to a case and notify the colleagues it mentions; returns the note and the names
    that were mentioned but not notified (unknown, inactive, in another organisation, or unable to see the case).
    """
    body = body.strip()
    if not body:
        raise InvalidInput("the note is empty")
    if len(body) > MAX_NOTE_LENGTH:
        raise InvalidInput(f"a note is at most {MAX_NOTE_LENGTH:,} characters")
    if not actor.is_staff or actor.user_id is None:
        raise PermissionDenied("only staff write internal notes")
    with atomic(session):
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound("no such case")
        require_case_visible(actor, org_id=case.org_id, department_id=case.department_id)
        if actor.role not in WRITE_ROLES:
            raise PermissionDenied(f"your role ({actor.role}) may not write notes")
        names = mentioned_usernames(body)
        users = _colleagues(session, org_id=case.org_id, names=names)
        notified = [
            u
            for u in users
            if u.id != actor.user_id
            and can_see_case(Actor.for_user(u), org_id=case.org_id, department_id=case.department_id)
        ]
        told = {u.username.lower() for u in notified} | {actor.label.lower()}
        skipped = [n for n in names if n.lower() not in told]
        note = Note(
            org_id=case.org_id,
            case_id=case.id,
            author_id=actor.user_id,
            body=body,
            mentions=[u.id for u in notified],
        )
        session.add(note)
        session.flush()
        excerpt = body if len(body) <= EXCERPT else body[:EXCERPT] + "…"
        record(
            session,
            actor=actor,
            action="case.note_added",
            org_id=case.org_id,
            case_id=case.id,
            # Staff-only event (is_public False): the excerpt never reaches the portal's timeline.
            details={"note_id": note.id, "excerpt": excerpt, "mentions": [u.username for u in notified]},
        )
        for user in notified:
            notify(
                session,
                org_id=case.org_id,
                user_id=user.id,
                kind="mention",
                text=translate("ko", "notify.mention", number=case.number, who=actor.label, excerpt=excerpt),
                key=f"mention:{note.id}:{user.id}",
                case_id=case.id,
                case_number=case.number,
            )
    return note, skipped


def _colleagues(session: Session, *, org_id: int, names: list[str]) -> list[User]:
    if not names:
        return []
    query = select(User).where(
        User.org_id == org_id,
        User.is_active.is_(True),
        func.lower(User.username).in_([n.lower() for n in names]),
    )
    return list(session.scalars(query.order_by(User.id)))


def notes_of(session: Session, *, actor: Actor, case: Case) -> list[Note]:
    """The case's notes, oldest first, for a staff user who may see the case."""
    require_case_visible(actor, org_id=case.org_id, department_id=case.department_id)
    if not actor.is_staff:
        raise NotFound("no such case")
    return list(session.scalars(select(Note).where(Note.case_id == case.id).order_by(Note.id)))


def mask_case_notes(session: Session, *, case_ids: list[int]) -> int:
    """Mask personal data in the notes of cases being anonymised (the retention pass, in its transaction)."""
    assert in_atomic(session), "called inside the anonymising action's transaction"
    notes = list(session.scalars(select(Note).where(Note.case_id.in_(case_ids)))) if case_ids else []
    for note in notes:
        note.body = mask(note.body)
    return len(notes)
