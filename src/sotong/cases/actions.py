"""Every state change of a case: one function each, owning its transaction, writing its audit event and
queueing its outbound work in that same transaction. Routers, the CLI and workers call these; nothing else
writes case rows.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sotong.actors import (
    CITIZEN,
    WORKER,
    Actor,
    Role,
    require_case_visible,
    require_department_or_org_wide,
    require_role,
)
from sotong.audit.service import record
from sotong.cases import assignment
from sotong.cases.attachments import store_file, validate_image
from sotong.cases.deadlines import sla
from sotong.cases.links import tracking_url
from sotong.cases.models import (
    Answer,
    Attachment,
    Case,
    CaseNumberSequence,
    CaseStatus,
    ComplaintType,
    Message,
    PeriodUnit,
    RejectReason,
)
from sotong.cases.status import EXTEND_SOURCES, OPEN_STATUSES, RATE_SOURCES, check_transition
from sotong.channels.base import InboundMessage
from sotong.db import atomic, utcnow
from sotong.errors import (
    DeadlineError,
    DuplicateSubmission,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from sotong.notifications import service as notifications
from sotong.orgs.models import Category, ChannelAccount, Department, Organisation, User
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.outbox.service import enqueue
from sotong.outbox.transports import is_private
from sotong.settings import get_settings
from sotong.text.pii import mask

TITLE_LENGTH = 60
MAX_TEXT_LENGTH = 20_000


@dataclass(frozen=True)
class IntakeResult:
    message: Message
    case: Case
    created: bool  # False: this platform message was already stored (a retry or an overlapping poll)
    new_case: bool  # False: the message was attached to an existing case as a follow-up


# --------------------------------------------------------------------------------------------- helpers


def _load_case(session: Session, actor: Actor, case_id: int, *, for_update: bool = True) -> Case:
    query = select(Case).where(Case.id == case_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        # Serialise concurrent actions on one case; the status check below then sees the latest state.
        query = query.with_for_update()
    case = session.scalar(query.execution_options(populate_existing=True))
    if case is None:
        raise NotFound(f"no case {case_id}")
    require_case_visible(actor, org_id=case.org_id, department_id=case.department_id)
    return case


def _snapshot(case: Case) -> dict[str, Any]:
    return {
        "status": case.status,
        "complaint_type": case.complaint_type,
        "category_id": case.category_id,
        "department_id": case.department_id,
        "officer_id": case.officer_id,
        "due_at": case.due_at,
    }


def _audit(
    session: Session,
    actor: Actor,
    case: Case,
    action: str,
    before: dict[str, Any],
    *,
    details: dict[str, Any] | None = None,
    is_public: bool = False,
) -> None:
    after = _snapshot(case)
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


def _org(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"unknown organisation {org_id}")
    return org


def _department(session: Session, org_id: int, department_id: int) -> Department:
    department = session.get(Department, department_id)
    if department is None or department.org_id != org_id:
        raise NotFound(f"unknown department {department_id} in this organisation")
    return department


def _set_deadlines(session: Session, case: Case, *, start: dt.datetime, keep_extension: bool = False) -> None:
    """(Re)compute every deadline of the case from `start` and reset its escalations."""
    org = _org(session, case.org_id)
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
    _reset_escalation(case)


def _reset_escalation(case: Case) -> None:
    warning = dt.timedelta(minutes=get_settings().escalation_warning_minutes)
    case.escalation_level, case.next_escalation_at = sla.next_escalation(level=0, due_at=case.due_at, warning=warning)


def _stop_clock(case: Case) -> None:
    case.next_escalation_at = None


def _next_number(session: Session, org: Organisation, at: dt.datetime) -> str:
    """Issue the next public case number, e.g. 2026-송파-000123 (year in the organisation's time zone)."""
    return _next_numbers(session, org, [at])[0]


def _next_numbers(session: Session, org: Organisation, moments: Sequence[dt.datetime]) -> list[str]:
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


def _store_attachments(session: Session, inbound: InboundMessage, message: Message) -> None:
    for attachment in inbound.attachments:
        content_type = validate_image(attachment.data, attachment.filename)
        stored = store_file(attachment.data, content_type)
        session.add(
            Attachment(
                org_id=message.org_id,
                message_id=message.id,
                path=stored.path,
                sha256=stored.sha256,
                size=stored.size,
                content_type=stored.content_type,
                filename=attachment.filename,
            )
        )


def _reply_transport(session: Session, account_id: int | None) -> tuple[str, int | None]:
    """The transport and account that answer a case: the receiving account, or the one it replies via."""
    if account_id is None:
        return "web", None
    account = session.get(ChannelAccount, account_id)
    if account is None:
        return "web", None
    if account.reply_via_account_id is not None:
        via = session.get(ChannelAccount, account.reply_via_account_id)
        if via is not None:
            return via.channel.value, via.id
    return account.channel.value, account.id


def _queue_to_citizen(
    session: Session,
    case: Case,
    *,
    kind: str,
    key: str,
    payload: dict[str, Any],
    first: Message | None = None,
) -> None:
    """Queue a delivery to the citizen, threaded to the case's first message (`first`, when the caller has it)."""
    transport, account_id = _reply_transport(session, case.channel_account_id)
    if first is None:
        first = session.scalar(select(Message).where(Message.case_id == case.id).order_by(Message.id).limit(1))
    enqueue(
        session,
        org_id=case.org_id,
        case_id=case.id,
        kind=kind,
        transport=transport,
        recipient=case.author_handle,
        idempotency_key=f"{kind}:{case.id}:{key}",
        payload={
            "case_number": case.number,
            "channel_account_id": account_id,
            "in_reply_to_external_id": first.external_id if first else None,
            "tracking_url": tracking_url(
                case_number=case.number, citizen_token=case.citizen_token, private=is_private(transport)
            ),
            "contact": case.contact,
            **payload,
        },
    )


def _withdraw_receipt(session: Session, case: Case) -> None:
    """Spam, abuse and duplicates get no receipt of their own: withdraw one still waiting for a worker."""
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.case_id == case.id, OutboxItem.kind == "receipt", OutboxItem.status == OutboxStatus.pending)
        .values(status=OutboxStatus.cancelled, last_error="withdrawn: the case was hidden")
        .execution_options(synchronize_session=False)
    )


def _notify(session: Session, case: Case, user_id: int, *, kind: str, text: str, key: str) -> None:
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


def _notify_owner(session: Session, case: Case, *, kind: str, text: str, key: str) -> None:
    """Tell whoever holds the case: its officer, or (not assigned yet) its department's active managers."""
    if case.officer_id is not None:
        _notify(session, case, case.officer_id, kind=kind, text=text, key=key)
        return
    if case.department_id is None:
        return  # still on the triage desk: the operators see it in their inbox
    managers = session.scalars(
        select(User.id).where(
            User.department_id == case.department_id, User.role == Role.dept_manager, User.is_active.is_(True)
        )
    )
    for manager_id in managers:
        _notify(session, case, manager_id, kind=kind, text=text, key=key)


def _validate_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("the complaint text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput(f"the complaint text is longer than {MAX_TEXT_LENGTH:,} characters")
    return text


# --------------------------------------------------------------------------------------------- intake


def _stored_text(inbound: InboundMessage) -> str:
    """The message's text as it will be stored (a photo may come without words)."""
    return _validate_text(inbound.text) if not inbound.attachments else inbound.text.strip()


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
        org = _org(session, account.org_id)
        now = utcnow()
        stored_parents = _follow_up_targets(session, account, inbounds)
        # Which message opens a case and which follows one up, in arrival order: a reply may answer a message
        # earlier in this very batch, whose case is opened just above it.
        by_external_id: dict[str, Case] = {}
        plan: list[tuple[InboundMessage, str, Case | None]] = []
        for inbound in inbounds:
            # The text alone: the photos were checked by the caller (check_inbound), and decoding them is the dear part.
            text = _stored_text(inbound)
            reply_to = inbound.in_reply_to_external_id
            parent = (by_external_id.get(reply_to) or stored_parents.get(reply_to)) if reply_to else None
            plan.append((inbound, text, parent))
            if parent is not None:
                by_external_id[inbound.external_id] = parent
            else:
                by_external_id[inbound.external_id] = _new_case(account, inbound, text, now)
        opened = [by_external_id[inbound.external_id] for inbound, _text, parent in plan if parent is None]
        for case, number in zip(opened, _next_numbers(session, org, [c.received_at for c in opened]), strict=True):
            case.number = number
            _set_deadlines(session, case, start=case.received_at)
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
            _store_attachments(session, inbound, message)
            if parent is not None:
                _attach_follow_up(session, actor, parent, message)
                results.append(IntakeResult(message=message, case=parent, created=True, new_case=False))
                continue
            case = by_external_id[inbound.external_id]
            _opened(session, actor, account, case, message)
            results.append(IntakeResult(message=message, case=case, created=True, new_case=True))
        return results


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
    if message is None or message.case_id is None:
        return None
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
        due_at=received,  # replaced by _set_deadlines
    )


def _opened(session: Session, actor: Actor, account: ChannelAccount, case: Case, message: Message) -> None:
    """What opening a case writes beside it: the public event, and the receipt threaded to its first message."""
    record(
        session,
        actor=actor,
        action="case.received",
        org_id=case.org_id,
        case_id=case.id,
        after=_snapshot(case),
        details={"channel": account.channel, "account": account.handle, "message_id": message.id},
        is_public=True,
    )
    _queue_to_citizen(
        session, case, kind="receipt", key="1", payload={"due_at": case.due_at.isoformat()}, first=message
    )


def _title(text: str) -> str:
    first_line = mask(text).strip().splitlines()[0] if text.strip() else ""
    return first_line[:TITLE_LENGTH] + ("…" if len(first_line) > TITLE_LENGTH else "")


def _attach_follow_up(session: Session, actor: Actor, case: Case, message: Message) -> None:
    before = _snapshot(case)
    if case.status in (CaseStatus.answered, CaseStatus.closed):
        # A question after the answer reopens the case with a fresh statutory period.
        case.status = CaseStatus.reopened
        case.closed_at = None
        _set_deadlines(session, case, start=message.received_at)
    _audit(session, actor, case, "follow_up", before, details={"message_id": message.id}, is_public=True)
    _notify_owner(session, case, kind="follow_up", text=f"{case.number}: 추가 문의가 도착했습니다", key=str(message.id))


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
) -> Case:
    """A complaint from the public web form; the same submission twice is refused with its case number."""
    _validate_text(text)
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
    )
    result = receive_message(session, account_id=account.id, inbound=inbound)
    if not result.created:
        raise DuplicateSubmission(
            f"this form was already received as case {result.case.number}", case_number=result.case.number
        )
    return result.case


# --------------------------------------------------------------------------------------------- life cycle


def triage(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    complaint_type: ComplaintType,
    category_id: int | None = None,
    department_id: int | None = None,
    is_public: bool | None = None,
    is_whistleblower: bool | None = None,
    public_text: str | None = None,
) -> Case:
    """Confirm or correct what a case is (type, category, department); deadlines follow the type."""
    with atomic(session):
        case = _load_case(session, actor, case_id)
        require_role(actor, Role.admin, Role.operator, what="triage cases")
        check_transition("triage", case.status)
        before = _snapshot(case)
        if category_id is not None:
            category = session.get(Category, category_id)
            if category is None or category.org_id != case.org_id:
                raise NotFound(f"unknown category {category_id} in this organisation")
            case.category_id = category.id
            if department_id is None and category.department_id is not None:
                department_id = category.department_id
        if department_id is not None:
            case.department_id = _department(session, case.org_id, department_id).id
        if is_whistleblower is not None:
            case.is_whistleblower = is_whistleblower
        if is_public is not None:
            case.is_public = is_public
        if case.is_whistleblower:
            case.is_public = False  # 공익신고 is never listed
        if public_text is not None:
            case.public_text = mask(public_text)
        type_changed = case.complaint_type != complaint_type
        case.complaint_type = complaint_type
        case.status = CaseStatus.triaged
        case.triaged_at = utcnow()
        basis_changed = (
            type_changed or before["category_id"] != case.category_id or before["department_id"] != case.department_id
        )
        if basis_changed:
            # Same clock, new basis; an extension already granted still counts (only one per case).
            _set_deadlines(session, case, start=case.clock_started_at, keep_extension=True)
        _audit(session, actor, case, "triaged", before, is_public=True)
        # Reaching a department: it may hand the case to an on-duty officer itself (see cases/assignment.py).
        assignment.auto_assign(session, case=case)
    return case


def assign(session: Session, *, actor: Actor, case_id: int, officer_id: int) -> Case:
    """Give the case to an officer of its department (a manager or the centre; an officer may take it)."""
    with atomic(session):
        case = _load_case(session, actor, case_id)
        check_transition("assign", case.status)
        if actor.is_staff and actor.role is Role.officer and actor.user_id != officer_id:
            raise PermissionDenied("an officer may only take a case for themself")
        require_role(actor, Role.admin, Role.operator, Role.dept_manager, Role.officer, what="assign cases")
        require_department_or_org_wide(actor, case.department_id, what="assign this case")
        if case.department_id is None:
            raise IllegalTransition("route the case to a department before assigning it")
        officer = session.get(User, officer_id)
        if officer is None or officer.org_id != case.org_id or not officer.is_active:
            raise NotFound(f"unknown officer {officer_id} in this organisation")
        if officer.department_id != case.department_id:
            raise InvalidInput(f"{officer.display_name} is not in the case's department")
        if officer.role not in (Role.officer, Role.dept_manager):
            raise InvalidInput(f"{officer.display_name} is not an officer")
        before = _snapshot(case)
        case.officer_id = officer.id
        case.status = CaseStatus.assigned
        case.assigned_at = utcnow()
        _audit(session, actor, case, "assigned", before, is_public=True)
        _notify(
            session,
            case,
            officer.id,
            kind="assigned",
            text=f"{case.number}: 새 민원이 배정되었습니다",
            key=case.assigned_at.isoformat(),
        )
    return case


def start_work(session: Session, *, actor: Actor, case_id: int) -> Case:
    """The assigned officer starts work (처리중)."""
    with atomic(session):
        case = _load_case(session, actor, case_id)
        check_transition("start", case.status)
        require_department_or_org_wide(actor, case.department_id, what="work on this case")
        before = _snapshot(case)
        case.status = CaseStatus.in_progress
        _audit(session, actor, case, "started", before)
    return case


def hold(session: Session, *, actor: Actor, case_id: int, reason: str) -> Case:
    """Put the case on hold (보류) with a reason; the statutory deadline keeps running."""
    if not reason.strip():
        raise InvalidInput("a hold needs a reason")
    with atomic(session):
        case = _load_case(session, actor, case_id)
        check_transition("hold", case.status)
        require_department_or_org_wide(actor, case.department_id, what="hold this case")
        before = _snapshot(case)
        case.held_from_status = case.status
        case.hold_reason = reason.strip()
        case.status = CaseStatus.on_hold
        _audit(session, actor, case, "held", before, details={"reason": case.hold_reason}, is_public=True)
    return case


def resume(session: Session, *, actor: Actor, case_id: int) -> Case:
    """Take the case off hold, back to where it was."""
    with atomic(session):
        case = _load_case(session, actor, case_id)
        check_transition("resume", case.status)
        require_department_or_org_wide(actor, case.department_id, what="resume this case")
        before = _snapshot(case)
        case.status = case.held_from_status or CaseStatus.triaged
        case.held_from_status = None
        _audit(session, actor, case, "resumed", before, details={"hold_reason": case.hold_reason})
    return case


def transfer_to_department(session: Session, *, actor: Actor, case_id: int, department_id: int, reason: str) -> Case:
    """이송 within the organisation: the case waits for the new department to assign it (same clock)."""
    if not reason.strip():
        raise InvalidInput("a transfer needs a reason")
    with atomic(session):
        case = _load_case(session, actor, case_id)
        check_transition("transfer_department", case.status)
        require_department_or_org_wide(actor, case.department_id, what="transfer this case")
        target = _department(session, case.org_id, department_id)
        if target.id == case.department_id:
            raise InvalidInput("the case is already with that department")
        before = _snapshot(case)
        case.department_id = target.id
        case.officer_id = None
        case.held_from_status = None
        case.status = CaseStatus.transferred
        _audit(
            session,
            actor,
            case,
            "transferred",
            before,
            details={"reason": reason.strip(), "to_department": target.name},
            is_public=True,
        )
        assignment.auto_assign(session, case=case)
    return case


def transfer_to_organisation(session: Session, *, actor: Actor, case_id: int, target_org_id: int, reason: str) -> Case:
    """이송 to the competent organisation (city ↔ district): closed here, a new case there, clock restarted.

    Returns the new case in the target organisation.
    """
    if not reason.strip():
        raise InvalidInput("a transfer needs a reason")
    with atomic(session):
        case = _load_case(session, actor, case_id)
        check_transition("transfer_organisation", case.status)
        require_role(actor, Role.admin, Role.operator, Role.dept_manager, what="transfer to another organisation")
        require_department_or_org_wide(actor, case.department_id, what="transfer this case")
        target_org = _org(session, target_org_id)
        if target_org.id == case.org_id:
            raise InvalidInput("the case is already in that organisation")
        now = utcnow()
        new_case = Case(
            org_id=target_org.id,
            number=_next_number(session, target_org, now),
            status=CaseStatus.received,
            complaint_type=case.complaint_type,
            channel=case.channel,
            # Answers still go back on the channel the citizen used, through the original account.
            channel_account_id=case.channel_account_id,
            author_handle=case.author_handle,
            contact=dict(case.contact),
            title=case.title,
            body=case.body,
            public_text=case.public_text,
            is_public=case.is_public,
            is_whistleblower=case.is_whistleblower,
            latitude=case.latitude,
            longitude=case.longitude,
            address=case.address,
            received_at=now,
            source_case_id=case.id,
            citizen_token=case.citizen_token,
            due_at=now,
        )
        session.add(new_case)
        _set_deadlines(session, new_case, start=now)
        session.flush()
        before = _snapshot(case)
        case.status = CaseStatus.transferred_out
        case.transferred_to_case_id = new_case.id
        case.closed_at = now
        _stop_clock(case)
        details = {"reason": reason.strip(), "to_org": target_org.name, "new_case_number": new_case.number}
        _audit(session, actor, case, "transferred_out", before, details=details, is_public=True)
        record(
            session,
            actor=actor,
            action="case.received",
            org_id=target_org.id,
            case_id=new_case.id,
            after=_snapshot(new_case),
            details={"transferred_from": case.number, "reason": reason.strip()},
            is_public=True,
        )
        _queue_to_citizen(
            session,
            case,
            kind="transfer_notice",
            key=new_case.number,
            payload={"new_case_number": new_case.number, "to_org": target_org.name},
        )
    return new_case


def answer(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    body: str,
    public_body: str | None = None,
) -> Answer:
    """Answer the citizen: stored, masked for the portal, and queued for delivery on the citizen's channel."""
    body = body.strip()
    if not body:
        raise InvalidInput("the answer is empty")
    with atomic(session):
        case = _load_case(session, actor, case_id)
        check_transition("answer", case.status)
        require_role(actor, Role.admin, Role.operator, Role.dept_manager, Role.officer, what="answer cases")
        require_department_or_org_wide(actor, case.department_id, what="answer this case")
        before = _snapshot(case)
        reply = Answer(
            org_id=case.org_id,
            case_id=case.id,
            author_id=actor.user_id,
            body=body,
            # Departments have leaked names inside published answers: the answer is masked too.
            public_body=mask(public_body if public_body is not None else body),
        )
        session.add(reply)
        session.flush()
        now = utcnow()
        case.status = CaseStatus.answered
        case.answered_at = now
        case.first_responded_at = case.first_responded_at or now
        _stop_clock(case)
        _audit(session, actor, case, "answered", before, details={"answer_id": reply.id}, is_public=True)
        _queue_to_citizen(
            session, case, kind="answer", key=str(reply.id), payload={"answer_id": reply.id, "body": body}
        )
    return reply


def close(session: Session, *, actor: Actor, case_id: int) -> Case:
    """Close an answered case (종결)."""
    with atomic(session):
        case = _load_case(session, actor, case_id)
        check_transition("close", case.status)
        require_department_or_org_wide(actor, case.department_id, what="close this case")
        before = _snapshot(case)
        case.status = CaseStatus.closed
        case.closed_at = utcnow()
        _stop_clock(case)
        _audit(session, actor, case, "closed", before, is_public=True)
    return case


def reopen(session: Session, *, actor: Actor, case_id: int, reason: str) -> Case:
    """Reopen an answered or closed case for a follow-up question (재문의); a new period starts."""
    if not reason.strip():
        raise InvalidInput("reopening needs a reason")
    with atomic(session):
        case = _load_case(session, actor, case_id)
        check_transition("reopen", case.status)
        require_department_or_org_wide(actor, case.department_id, what="reopen this case")
        before = _snapshot(case)
        case.status = CaseStatus.reopened
        case.closed_at = None
        _set_deadlines(session, case, start=utcnow())
        _audit(session, actor, case, "reopened", before, details={"reason": reason.strip()}, is_public=True)
        _notify_owner(
            session, case, kind="reopened", text=f"{case.number}: 재문의로 다시 열렸습니다", key=utcnow().isoformat()
        )
    return case


def reject(session: Session, *, actor: Actor, case_id: int, reason: RejectReason, note: str = "") -> Case:
    """Hide spam, abuse or advertising (kept, never deleted; no answer is sent)."""
    with atomic(session):
        case = _load_case(session, actor, case_id)
        check_transition("reject", case.status)
        require_role(actor, Role.admin, Role.operator, what="hide cases")
        before = _snapshot(case)
        case.status = CaseStatus.rejected
        case.reject_reason = reason
        _stop_clock(case)
        _withdraw_receipt(session, case)
        _audit(session, actor, case, "rejected", before, details={"reason": reason, "note": note})
    return case


def restore(session: Session, *, actor: Actor, case_id: int) -> Case:
    """Undo a wrong rejection: the case goes back to the desk as received."""
    with atomic(session):
        case = _load_case(session, actor, case_id)
        check_transition("restore", case.status)
        require_role(actor, Role.admin, Role.operator, what="restore hidden cases")
        before = _snapshot(case)
        case.status = CaseStatus.received
        case.reject_reason = None
        _reset_escalation(case)
        _audit(session, actor, case, "restored", before)
    return case


def merge(session: Session, *, actor: Actor, case_id: int, into_case_id: int) -> Case:
    """Merge a duplicate into the case it repeats: its messages move there and it is hidden as a duplicate.

    The main case receives the messages as follow-ups (an answered one reopens); returns the main case. The
    link between the two lives in their audit events ("case.merged" names the main case).
    """
    if case_id == into_case_id:
        raise InvalidInput("a case cannot be merged into itself")
    with atomic(session):
        case = _load_case(session, actor, case_id)
        check_transition("merge", case.status)
        require_role(actor, Role.admin, Role.operator, what="merge cases")
        target = _load_case(session, actor, into_case_id)
        if target.org_id != case.org_id:
            raise NotFound("no such case in this organisation")
        if target.status in (CaseStatus.rejected, CaseStatus.transferred_out):
            raise IllegalTransition(f"cannot merge into a case that is {target.status.value}")
        before, target_before = _snapshot(case), _snapshot(target)
        moved = list(session.scalars(select(Message.id).where(Message.case_id == case.id)))
        session.execute(
            update(Message)
            .where(Message.case_id == case.id)
            .values(case_id=target.id)
            .execution_options(synchronize_session=False)
        )
        case.status = CaseStatus.rejected
        case.reject_reason = RejectReason.duplicate
        _stop_clock(case)
        _withdraw_receipt(session, case)
        _audit(session, actor, case, "merged", before, details={"into": target.number, "messages": moved})
        if target.status in (CaseStatus.answered, CaseStatus.closed):
            target.status = CaseStatus.reopened
            target.closed_at = None
            _set_deadlines(session, target, start=utcnow())
        _audit(
            session,
            actor,
            target,
            "merged_in",
            target_before,
            details={"from": case.number, "messages": moved},
            is_public=True,
        )
        if target.officer_id is not None:
            _notify(
                session,
                target,
                target.officer_id,
                kind="follow_up",
                text=f"{target.number}: 중복 민원이 병합되었습니다",
                key=case.number,
            )
    session.expire(target, ["messages"])
    return target


def extend(session: Session, *, actor: Actor, case_id: int, value: int, unit: PeriodUnit, reason: str) -> Case:
    """The one extension a case may have: at most the original length, reason recorded, citizen notified."""
    if not reason.strip():
        raise InvalidInput("an extension needs a reason")
    with atomic(session):
        case = _load_case(session, actor, case_id)
        if case.status not in EXTEND_SOURCES:
            raise IllegalTransition(f"cannot extend a case that is {case.status.value}")
        require_department_or_org_wide(actor, case.department_id, what="extend this case")
        if case.extended_at is not None:
            raise DeadlineError("this case has already been extended once; a further one needs the citizen's consent")
        calendar = sla.calendar_for(session, _org(session, case.org_id))
        new_due = sla.extended_due(
            calendar,
            current_due=case.due_at,
            original_value=case.period_value,
            original_unit=case.period_unit,
            value=value,
            unit=unit,
        )
        before = _snapshot(case)
        case.original_due_at = case.original_due_at or case.due_at
        case.due_at = new_due
        case.extended_at = utcnow()
        case.extension_reason = reason.strip()
        _reset_escalation(case)
        _audit(
            session,
            actor,
            case,
            "extended",
            before,
            details={"value": value, "unit": unit, "reason": case.extension_reason},
            is_public=True,
        )
        _queue_to_citizen(
            session,
            case,
            kind="extension_notice",
            key="1",
            payload={"due_at": new_due.isoformat(), "reason": case.extension_reason},
        )
    return case


def rate(session: Session, *, case_number: str, token: str, score: int, comment: str | None = None) -> Case:
    """The citizen rates the answer (1-5), proving who they are with the token from their receipt."""
    if not 1 <= score <= 5:
        raise InvalidInput("a rating is between 1 and 5")
    with atomic(session):
        case = session.scalar(select(Case).where(Case.number == case_number))
        if case is None or not case.citizen_token or not secrets.compare_digest(case.citizen_token, token):
            raise NotFound("no such case, or the token does not match")
        if case.status not in RATE_SOURCES:
            raise IllegalTransition(f"a case that is {case.status.value} cannot be rated yet")
        before = {"satisfaction": case.satisfaction}
        case.satisfaction = score
        case.satisfaction_comment = (comment or "").strip() or None
        record(
            session,
            actor=CITIZEN,
            action="case.rated",
            org_id=case.org_id,
            case_id=case.id,
            before=before,
            after={"satisfaction": score},
        )
    return case


def follow_up_from_portal(session: Session, *, case_number: str, token: str, text: str, submission_id: str) -> Case:
    """A follow-up question the citizen writes on the case page (the receipt's token proves who they are).

    It is stored as a web message of the case, like a reply on any channel: an answered or closed case reopens
    with a new statutory period, and the officer is told. The same form sent twice is stored once.
    """
    text = _validate_text(text)
    if not submission_id or len(submission_id) > 120:
        raise InvalidInput("submission_id must be 1-120 characters")
    with atomic(session):
        case = session.scalar(select(Case).where(Case.number == case_number))
        if case is None or not case.citizen_token or not secrets.compare_digest(case.citizen_token, token):
            raise NotFound("no such case, or the token does not match")
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
        _attach_follow_up(session, CITIZEN, case, message)
    return case


def mark_first_response(session: Session, *, case_id: int, at: dt.datetime, wait: bool = True) -> bool:
    """Record when the citizen first heard back (the receipt was delivered); called by the outbox worker.

    With `wait=False` a case another transaction holds (triage's batch) is left alone and False returned, for
    the caller to try again later; True once recorded, or when there was nothing to record.
    """
    with atomic(session):
        query = select(Case).where(Case.id == case_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(key_share=True, skip_locked=not wait)  # FOR NO KEY UPDATE
        case = session.scalar(query.execution_options(populate_existing=True))
        if case is None:  # held by another transaction (skipped), or no such case (nothing to record)
            return wait or session.get(Case, case_id) is None
        if case.first_responded_at is not None:
            return True
        case.first_responded_at = at
        record(
            session,
            actor=WORKER,
            action="case.first_response",
            org_id=case.org_id,
            case_id=case.id,
            after={"first_responded_at": at},
            is_public=True,
        )
    return True


def is_open(case: Case) -> bool:
    """Whether the case's deadline is running."""
    return case.status in OPEN_STATUSES
