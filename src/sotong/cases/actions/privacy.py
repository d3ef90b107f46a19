"""Anonymising closed cases whose retention period has passed (the retention pass calls this; docs/privacy.md).

The case stays: its number, status, type, category, department, officer, channel, every time and deadline, the
rating's score and the audit trail, so statistics, the public list and the staff timeline are unchanged. What
could tell who the citizen was goes: contact details, handles and names, the raw platform payload, the citizen's
photos and the tracking token; free text (the complaint, its messages, the answers, the rating's comment, hold and
extension reasons) is replaced by its masked form, as the portal already shows it; the location keeps ~100 m.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.audit.service import event_values, record_many
from sotong.cases.models import Answer, Attachment, Case, CaseStatus, Message
from sotong.db import atomic, utcnow
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.settings import get_settings
from sotong.text.pii import mask

log = logging.getLogger(__name__)

# Closed for good here: closed, sent to another organisation, hidden (spam, abuse...). Answered cases may still
# be rated or followed up, so they wait for their closing.
FINISHED = (CaseStatus.closed, CaseStatus.transferred_out, CaseStatus.rejected)
COORDINATE_DIGITS = 3  # ~110 m north-south: still the right block for a map of complaints, no longer a door
OUTBOX_SETTLED = (OutboxStatus.sent, OutboxStatus.failed, OutboxStatus.cancelled, OutboxStatus.resolved)


def _finished_since(before: dt.datetime) -> ColumnElement[bool]:
    # Closing sets closed_at (closed, transferred_out); hiding does not, so a hidden case counts from its last change.
    return or_(Case.closed_at < before, (Case.closed_at.is_(None)) & (Case.updated_at < before))


def due_for_anonymising(session: Session, *, org_id: int, closed_before: dt.datetime) -> int:
    """How many of the organisation's finished cases are past the period and not anonymised yet."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Case)
            .where(
                Case.org_id == org_id,
                Case.status.in_(FINISHED),
                Case.anonymised_at.is_(None),
                _finished_since(closed_before),
            )
        )
        or 0
    )


def _masked(text: str | None) -> str | None:
    return mask(text) if text else text


def _rounded(value: float | None) -> float | None:
    return round(value, COORDINATE_DIGITS) if value is not None else None


@dataclass(frozen=True)
class Anonymised:
    case_ids: list[int]
    # Photo files no row refers to any more: the caller deletes them (`remove_files`) once its transaction is
    # committed, so a rollback never leaves a row without its file.
    orphaned_files: list[str]


def anonymise_finished(
    session: Session, *, actor: Actor, org_id: int, closed_before: dt.datetime, limit: int
) -> Anonymised:
    """Anonymise up to `limit` of the organisation's finished cases closed before `closed_before`; one transaction
    (the caller's, when it has one: the retention pass masks the cases' notes in it too).

    Rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL, and a case is never anonymised twice
    (`anonymised_at`), so workers running this side by side share the work.
    """
    orphaned: list[str] = []
    with atomic(session):
        query = (
            select(Case)
            .where(
                Case.org_id == org_id,
                Case.status.in_(FINISHED),
                Case.anonymised_at.is_(None),
                _finished_since(closed_before),
            )
            .order_by(Case.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=Case)
        cases = list(session.scalars(query))
        if not cases:
            return Anonymised(case_ids=[], orphaned_files=[])
        ids = [c.id for c in cases]
        now = utcnow()
        for case in cases:
            case.contact = {}
            case.author_handle = None
            case.title = mask(case.title)[:200]
            case.body = mask(case.body)
            case.public_text = _masked(case.public_text)
            case.address = _masked(case.address)
            case.latitude, case.longitude = _rounded(case.latitude), _rounded(case.longitude)
            case.satisfaction_comment = _masked(case.satisfaction_comment)
            case.hold_reason = _masked(case.hold_reason)
            case.extension_reason = _masked(case.extension_reason)
            case.citizen_token = None
            case.anonymised_at = now
        messages = list(session.scalars(select(Message).where(Message.case_id.in_(ids))))
        for message in messages:
            message.text = mask(message.text)
            message.author_handle = None
            message.author_name = None
            message.raw = {}
            message.address = _masked(message.address)
            message.latitude, message.longitude = _rounded(message.latitude), _rounded(message.longitude)
        for answer in session.scalars(select(Answer).where(Answer.case_id.in_(ids))):
            answer.body = mask(answer.body)
            answer.public_body = _masked(answer.public_body)
        # The citizen's photos go (faces, number plates, the inside of a home); the officers' photos of the
        # result stay with their answers.
        message_ids = [m.id for m in messages]
        if message_ids:
            photos = list(session.scalars(select(Attachment).where(Attachment.message_id.in_(message_ids))))
            paths = {p.path for p in photos}
            session.execute(delete(Attachment).where(Attachment.id.in_([p.id for p in photos])))
            still_used = set(session.scalars(select(Attachment.path).where(Attachment.path.in_(paths))))
            orphaned = sorted(paths - still_used)
        # Deliveries done with keep no address: a phone number or an e-mail address is the citizen's.
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.case_id.in_(ids), OutboxItem.status.in_(OUTBOX_SETTLED))
            .values(recipient=None)
        )
        record_many(
            session,
            [event_values(actor=actor, action="case.anonymised", org_id=org_id, case_id=case_id) for case_id in ids],
        )
    return Anonymised(case_ids=ids, orphaned_files=orphaned)


def remove_files(paths: list[str]) -> None:
    """Delete photo files no attachment refers to any more (after the commit: a rollback keeps them)."""
    root = get_settings().media_dir
    for relative in paths:
        target = (root / Path(relative)).resolve()
        if root.resolve() not in target.parents:
            continue  # never outside the media directory, whatever a row says
        try:
            target.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not delete an anonymised case's photo %s: %s", relative, exc)
