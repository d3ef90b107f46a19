"""What the case actions share: loading a case under lock, the snapshot-diff audit event, deadlines (re)set,
case numbers, stored attachments, a delivery queued to the citizen, a staff notification, a follow-up attached.

Helpers of the actions in this package, never called from outside it: each runs inside the calling action's
transaction and commits nothing itself.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sotong.actors import (
    Actor,
    Role,
    require_case_visible,
)
from sotong.audit.service import record
from sotong.cases.attachments import StoredFile, store_file, validate_image
from sotong.cases.deadlines import sla
from sotong.cases.delivery import to_citizen
from sotong.cases.inbound import InboundMessage
from sotong.cases.models import (
    Attachment,
    Case,
    CaseNumberSequence,
    CaseStatus,
    Message,
)
from sotong.errors import (
    InvalidInput,
    NotFound,
)
from sotong.i18n import translate
from sotong.notifications import service as notifications
from sotong.orgs.models import Organisation, User
from sotong.orgs.service import organisation
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.outbox.service import enqueue
from sotong.settings import get_settings

MAX_TEXT_LENGTH = 20_000


def load_case(session: Session, actor: Actor, case_id: int, *, for_update: bool = True) -> Case:
    query = select(Case).where(Case.id == case_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        # Serialise concurrent actions on one case; the status check below then sees the latest state.
        query = query.with_for_update()
    case = session.scalar(query.execution_options(populate_existing=True))
    if case is None:
        raise NotFound(f"no case {case_id}")
    require_case_visible(actor, org_id=case.org_id, department_id=case.department_id)
    return case


def snapshot(case: Case) -> dict[str, Any]:
    return {
        "status": case.status,
        "complaint_type": case.complaint_type,
        "category_id": case.category_id,
        "department_id": case.department_id,
        "officer_id": case.officer_id,
        "due_at": case.due_at,
    }


def audit(
    session: Session,
    actor: Actor,
    case: Case,
    action: str,
    before: dict[str, Any],
    *,
    details: dict[str, Any] | None = None,
    is_public: bool = False,
) -> None:
    after = snapshot(case)
    record(
        session,
        actor=actor,
        action=f"case.{action}",
        org_id=case.org_id,
        case_id=case.id,
        # Only what changed, plus the status on both sides so every event reads as "from -> to".
        before={k: v for k, v in before.items() if k == "status" or after.get(k) != v},
        after={k: v for k, v in after.items() if k == "status" or before.get(k) != v},
        details=details,
        is_public=is_public,
    )


def set_deadlines(session: Session, case: Case, *, start: dt.datetime, keep_extension: bool = False) -> None:
    """(Re)compute every deadline of the case from `start` and reset its escalations."""
    org = organisation(session, case.org_id)
    # The process's short-lived copy of the policies and closure days (sla.RULES_TTL_SECONDS): intake computes
    # deadlines for every new case, and reading both tables each time was two round trips per case.
    policy = sla.cached_policy(
        session,
        org_id=case.org_id,
        channel=case.channel,
        category_id=case.category_id,
        department_id=case.department_id,
        complaint_type=case.complaint_type,
    )
    deadlines = sla.compute_deadlines(
        calendar=sla.cached_calendar(session, org),
        start=start,
        complaint_type=case.complaint_type,
        policy=policy,
    )
    case.clock_started_at = start
    case.period_value = deadlines.period_value
    case.period_unit = deadlines.period_unit
    case.due_at = deadlines.due_at
    case.original_due_at = deadlines.due_at
    case.first_response_due_at = deadlines.first_response_due_at
    case.answer_target_at = deadlines.answer_target_at
    case.sla_policy_id = deadlines.sla_policy_id
    if not keep_extension:
        case.extended_at = None
        case.extension_reason = None
    reset_escalation(case)


def reset_escalation(case: Case) -> None:
    warning = dt.timedelta(minutes=get_settings().escalation_warning_minutes)
    case.escalation_level, case.next_escalation_at = sla.next_escalation(level=0, due_at=case.due_at, warning=warning)


def stop_clock(case: Case) -> None:
    case.next_escalation_at = None


def next_number(session: Session, org: Organisation, at: dt.datetime) -> str:
    """Issue the next public case number, e.g. 2026-송파-000123 (year in the organisation's time zone)."""
    return next_numbers(session, org, [at])[0]


def next_numbers(session: Session, org: Organisation, moments: Sequence[dt.datetime]) -> list[str]:
    """Issue one public case number per moment, in order, with one sequence update per year (not per case).

    The numbers are taken inside the caller's transaction: a rolled-back intake gives them back, so they stay
    without gaps.
    """
    tz = ZoneInfo(org.timezone)
    years = [moment.astimezone(tz).year for moment in moments]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    next_value: dict[int, int] = {}
    for year, count in sorted(Counter(years).items()):
        statement = (
            insert(CaseNumberSequence)
            .values(org_id=org.id, year=year, last_value=count)
            .on_conflict_do_update(
                index_elements=["org_id", "year"],
                set_={"last_value": CaseNumberSequence.last_value + count},
            )
            .returning(CaseNumberSequence.last_value)
        )
        next_value[year] = session.execute(statement).scalar_one() - count + 1
    numbers = []
    for year in years:
        numbers.append(f"{year}-{org.short_name}-{next_value[year]:06d}")
        next_value[year] += 1
    return numbers


def store_attachments(session: Session, inbound: InboundMessage, message: Message) -> None:
    """The message's photos, checked, on disk and as its attachments."""
    for attachment in inbound.attachments:
        content_type = validate_image(attachment.data, attachment.filename)
        add_attachment(
            session,
            org_id=message.org_id,
            data=attachment.data,
            content_type=content_type,
            filename=attachment.filename,
            message_id=message.id,
        )


def add_attachment(
    session: Session,
    *,
    org_id: int,
    data: bytes,
    content_type: str,
    filename: str | None,
    message_id: int | None = None,
    answer_id: int | None = None,
) -> StoredFile:
    """One checked image stored on disk (content-addressed) and as an attachment of a message or an answer."""
    stored = store_file(data, content_type)
    session.add(
        Attachment(
            org_id=org_id,
            message_id=message_id,
            answer_id=answer_id,
            path=stored.path,
            sha256=stored.sha256,
            size=stored.size,
            content_type=stored.content_type,
            filename=(filename or "")[:255] or None,
        )
    )
    return stored


def queue_to_citizen(
    session: Session,
    case: Case,
    *,
    kind: str,
    key: str,
    payload: dict[str, Any],
    first: Message | None = None,
) -> None:
    """Queue a delivery to the citizen (cases/delivery.py builds it), threaded to the case's first message."""
    delivery = to_citizen(session, case, kind=kind, key=key, payload=payload, first=first)
    enqueue(
        session,
        org_id=case.org_id,
        case_id=case.id,
        kind=delivery.kind,
        transport=delivery.transport,
        recipient=delivery.recipient,
        idempotency_key=delivery.idempotency_key,
        payload=delivery.payload,
    )


def withdraw_receipt(session: Session, case: Case) -> None:
    """Spam, abuse and duplicates get no receipt of their own: withdraw one still waiting for a worker."""
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.case_id == case.id, OutboxItem.kind == "receipt", OutboxItem.status == OutboxStatus.pending)
        .values(status=OutboxStatus.cancelled, last_error="withdrawn: the case was hidden")
        .execution_options(synchronize_session=False)
    )


def notify(session: Session, case: Case, user_id: int, *, kind: str, text: str, key: str) -> None:
    # One fan-out for every staff notification: the console, and e-mail / the messenger webhook where set up.
    notifications.notify(
        session,
        org_id=case.org_id,
        user_id=user_id,
        kind=kind,
        text=text,
        key=f"notify:{kind}:{case.id}:{user_id}:{key}",
        case_id=case.id,
        case_number=case.number,
    )


def notify_owner(session: Session, case: Case, *, kind: str, text: str, key: str) -> None:
    """Tell whoever holds the case: its officer, or (not assigned yet) its department's active managers."""
    if case.officer_id is not None:
        notify(session, case, case.officer_id, kind=kind, text=text, key=key)
        return
    if case.department_id is None:
        return  # still on the triage desk: the operators see it in their inbox
    managers = session.scalars(
        select(User.id).where(
            User.department_id == case.department_id, User.role == Role.dept_manager, User.is_active.is_(True)
        )
    )
    for manager_id in managers:
        notify(session, case, manager_id, kind=kind, text=text, key=key)


def validate_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("the complaint text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput(f"the complaint text is longer than {MAX_TEXT_LENGTH:,} characters")
    return text


def attach_follow_up(
    session: Session, actor: Actor, case: Case, message: Message, *, notify_holder: bool = True
) -> None:
    """The message joins the case as the citizen's follow-up: audited, reopening an answered case, and (unless
    `notify_holder` is off: a chat bubble of a burst already notified) telling whoever holds the case, once."""
    before = snapshot(case)
    if case.status in (CaseStatus.answered, CaseStatus.closed):
        # A question after the answer reopens the case with a fresh statutory period.
        case.status = CaseStatus.reopened
        case.closed_at = None
        set_deadlines(session, case, start=message.received_at)
    audit(session, actor, case, "follow_up", before, details={"message_id": message.id}, is_public=True)
    if notify_holder:
        notify_follow_up(session, case, message)


def notify_follow_up(session: Session, case: Case, message: Message) -> None:
    """Tell whoever holds the case that the citizen wrote again; keyed by the message, so it is told once."""
    notify_owner(
        session,
        case,
        kind="follow_up",
        text=translate("ko", "notify.follow_up", number=case.number),
        key=str(message.id),
    )
