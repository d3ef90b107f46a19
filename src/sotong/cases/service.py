"""Reading cases for staff and for the public: queries only, never a write or a commit.

Every staff query starts from `visible_cases`, so organisation and department scoping is decided in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, selectinload

from sotong.actors import ORG_WIDE_ROLES, Actor, Role, can_see_case, require_case_visible
from sotong.cases.models import Answer, Attachment, Case, CaseStatus, ComplaintType, Message, PublicGeneration
from sotong.cases.status import OPEN_STATUSES
from sotong.db import utcnow
from sotong.errors import NotFound, PermissionDenied
from sotong.notifications.models import Notification
from sotong.orgs.models import Category, Channel, Department, Organisation, User
from sotong.outbox import service as outbox_service
from sotong.outbox.models import OutboxItem

MAX_PAGE_SIZE = 200


# How close a deadline is before a case counts as "due soon" (the console's home page, inbox and queue).
DUE_SOON = dt.timedelta(hours=24)


class DeadlineState(StrEnum):
    """Where an open case stands against its deadline; a closed case is never late."""

    due_soon = "due_soon"  # open, due within DUE_SOON
    overdue = "overdue"  # open, past its due time


def deadline_state(case: Case, now: dt.datetime) -> DeadlineState | None:
    """The case's `DeadlineState`, or None (closed, or due later than DUE_SOON)."""
    if case.status not in OPEN_STATUSES:
        return None
    if case.due_at < now:
        return DeadlineState.overdue
    if case.due_at < now + DUE_SOON:
        return DeadlineState.due_soon
    return None


def is_open() -> ColumnElement[bool]:
    """The case is open, with the statuses written into the SQL: bound parameters would hide them from a
    generic plan, and only literal values let the planner use the partial indexes on open cases
    (`ix_cases_dept_open_due` and its kin, predicate `cases.models.OPEN_STATUS_SQL`)."""
    values = sorted(s.value for s in OPEN_STATUSES)
    return Case.status.in_(bindparam("open_statuses", values, expanding=True, literal_execute=True, unique=True))


@dataclass(frozen=True)
class CaseFilters:
    """What a staff list of cases may be narrowed by (the case list, the API, the inbox, a department's queue)."""

    status: CaseStatus | None = None
    complaint_type: ComplaintType | None = None
    category_id: int | None = None
    department_id: int | None = None
    officer_id: int | None = None
    unassigned: bool = False
    channel: Channel | None = None
    account_id: int | None = None
    open_only: bool = False
    overdue: bool | None = None  # False: closed, or due later
    deadline: DeadlineState | None = None
    q: str | None = None
    q_in_handles: bool = False  # the search also looks at the citizen's handle (the SNS desk knows them by it)
    received_from: dt.datetime | None = None
    received_to: dt.datetime | None = None
    page: int = 1
    page_size: int = 50


def visible_cases(actor: Actor) -> Select[Case]:
    """Cases the staff actor may see: their organisation's, and only their department's below operator."""
    query = select(Case)
    if not actor.is_staff:
        return query
    query = query.where(Case.org_id == actor.org_id)
    if actor.role not in ORG_WIDE_ROLES:
        query = query.where(Case.department_id == actor.department_id)
    return query


def filtered_cases(actor: Actor, filters: CaseFilters, now: dt.datetime) -> Select[Case]:
    """The visible cases matching the filters, unordered: the one place every staff case filter is written."""
    query = visible_cases(actor)
    for column, value in (
        (Case.status, filters.status),
        (Case.complaint_type, filters.complaint_type),
        (Case.category_id, filters.category_id),
        (Case.department_id, filters.department_id),
        (Case.officer_id, filters.officer_id),
        (Case.channel, filters.channel),
        (Case.channel_account_id, filters.account_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.unassigned:
        query = query.where(Case.officer_id.is_(None))
    if filters.open_only:
        query = query.where(is_open())
    if filters.overdue is True or filters.deadline is DeadlineState.overdue:
        query = query.where(is_open(), Case.due_at < now)
    elif filters.overdue is False:
        query = query.where(or_(~is_open(), Case.due_at >= now))
    if filters.deadline is DeadlineState.due_soon:
        query = query.where(is_open(), Case.due_at >= now, Case.due_at < now + DUE_SOON)
    if filters.q and filters.q.strip():
        needle = filters.q.strip().lower()
        columns = [Case.number, Case.title, Case.body, *([Case.author_handle] if filters.q_in_handles else [])]
        query = query.where(or_(*(func.lower(column).contains(needle, autoescape=True) for column in columns)))
    if filters.received_from is not None:
        query = query.where(Case.received_at >= filters.received_from)
    if filters.received_to is not None:
        query = query.where(Case.received_at < filters.received_to)
    return query


def list_cases(
    session: Session, *, actor: Actor, filters: CaseFilters, now: dt.datetime | None = None
) -> tuple[list[Case], int]:
    """One page of the cases the actor may see, newest first, and the total that match the filters."""
    now = now or utcnow()
    page_size = max(1, min(filters.page_size, MAX_PAGE_SIZE))
    page = max(1, filters.page)
    query = filtered_cases(actor, filters, now)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = session.scalars(
        query.order_by(Case.received_at.desc(), Case.id.desc()).limit(page_size).offset((page - 1) * page_size)
    )
    return list(items), total


def get_case_by_number(session: Session, *, actor: Actor, number: str) -> Case:
    """The case with this public number, if the actor may see it; NotFound otherwise (existence is not confirmed)."""
    case = session.scalar(
        select(Case)
        .where(Case.number == number)
        .options(
            selectinload(Case.messages).selectinload(Message.attachments),
            selectinload(Case.answers),
        )
    )
    if case is None:
        raise NotFound("no such case")
    require_case_visible(actor, org_id=case.org_id, department_id=case.department_id)
    return case


def is_overdue(case: Case, now: dt.datetime | None = None) -> bool:
    """Whether the case is open and past its due time."""
    return deadline_state(case, now or utcnow()) is DeadlineState.overdue


def status_counts(session: Session, *, actor: Actor) -> dict[CaseStatus, int]:
    """How many visible cases are in each status (every status present, zeros included)."""
    sub = visible_cases(actor).subquery()
    rows = session.execute(select(sub.c.status, func.count()).group_by(sub.c.status))
    counts = dict.fromkeys(CaseStatus, 0)
    for status, count in rows:
        counts[CaseStatus(status)] = count
    return counts


def assigned_to(session: Session, *, actor: Actor, limit: int = 20) -> list[Case]:
    """Open cases assigned to the actor, soonest due first."""
    if actor.user_id is None:
        return []
    query = visible_cases(actor).where(Case.officer_id == actor.user_id, Case.status.in_(OPEN_STATUSES))
    return list(session.scalars(query.order_by(Case.due_at).limit(limit)))


def due_soon(
    session: Session, *, actor: Actor, within: dt.timedelta, now: dt.datetime | None = None, limit: int = 20
) -> list[Case]:
    """Open visible cases due within `within` or already overdue, soonest first."""
    now = now or utcnow()
    query = visible_cases(actor).where(Case.status.in_(OPEN_STATUSES), Case.due_at <= now + within)
    return list(session.scalars(query.order_by(Case.due_at).limit(limit)))


def unread_notifications(session: Session, *, actor: Actor, limit: int = 20) -> list[Notification]:
    """The actor's unread in-app notifications, newest first."""
    if actor.user_id is None:
        return []
    query = select(Notification).where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.created_at.desc()).limit(limit)))


def case_deliveries(session: Session, *, case_id: int) -> list[OutboxItem]:
    """What the case sent its citizen (receipts, answers, notices), oldest first; the caller has the case."""
    return outbox_service.case_deliveries(session, case_id=case_id)


def case_delivery(session: Session, *, actor: Actor, number: str, item_id: int) -> OutboxItem:
    """One delivery of a case the actor may see; NotFound otherwise."""
    case = get_case_by_number(session, actor=actor, number=number)
    item = session.get(OutboxItem, item_id)
    if item is None or item.case_id != case.id:
        raise NotFound("no such delivery on this case")
    return item


def failed_deliveries(session: Session, *, actor: Actor, limit: int = 20) -> list[OutboxItem]:
    """Outbound work that waits for a person in the actor's organisation, failed for good or of unknown outcome
    (admins and operators only)."""
    if not actor.is_staff or actor.role not in (Role.admin, Role.operator) or actor.org_id is None:
        return []
    return outbox_service.failed_deliveries(session, org_id=actor.org_id, limit=limit)


def case_numbers(session: Session, case_ids: set[int]) -> dict[int, str]:
    """Public numbers of the given case ids (for linking outbox rows and notifications)."""
    if not case_ids:
        return {}
    rows = session.execute(select(Case.id, Case.number).where(Case.id.in_(case_ids)))
    return {case_id: number for case_id, number in rows}


def get_attachment(session: Session, *, actor: Actor, attachment_id: int) -> Attachment:
    """An attachment of a message or answer of a case the actor may see."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("no such attachment")
    case_id: int | None = None
    if attachment.message_id is not None:
        case_id = session.scalar(select(Message.case_id).where(Message.id == attachment.message_id))
    elif attachment.answer_id is not None:
        case_id = session.scalar(select(Answer.case_id).where(Answer.id == attachment.answer_id))
    case = session.get(Case, case_id) if case_id is not None else None
    if case is None:
        raise NotFound("no such attachment")
    if attachment.message_id is not None and not can_see_case(
        actor, org_id=case.org_id, department_id=case.department_id
    ):
        # A citizen's photo that travelled with a transfer: still shown to who received it first.
        case = session.scalar(select(Case).where(Case.transferred_to_case_id == case.id, Case.org_id == actor.org_id))
        if case is None:
            raise NotFound("no such attachment")
    require_case_visible(actor, org_id=case.org_id, department_id=case.department_id)
    return attachment


@dataclass(frozen=True)
class TransferLink:
    """The other end of a transfer between organisations (이송): its number, its organisation, whether public."""

    number: str
    org_name: str
    public: bool  # publicly listed: the portal may link to it


def transfer_links(session: Session, case: Case) -> tuple[TransferLink | None, TransferLink | None]:
    """Where the case came from and where it went, for the banner and the links both ways (staff and public)."""

    def link(case_id: int | None) -> TransferLink | None:
        if case_id is None:
            return None
        row = session.execute(
            select(Case.number, Organisation.name, public_condition())
            .join(Organisation, Organisation.id == Case.org_id)
            .where(Case.id == case_id)
        ).first()
        if row is None:
            return None
        number, org_name, public = row
        return TransferLink(number, org_name, bool(public))

    return link(case.source_case_id), link(case.transferred_to_case_id)


def travelled_messages(session: Session, case: Case) -> list[Message]:
    """The messages a case transferred out took with it, for the staff who received them first."""
    if case.transferred_to_case_id is None:
        return []
    query = (
        select(Message)
        .where(Message.case_id == case.transferred_to_case_id, Message.org_id == case.org_id)
        .options(selectinload(Message.attachments))
        .order_by(Message.received_at, Message.id)
    )
    return list(session.scalars(query))


# --------------------------------------------------------------------------------------------- lookups


def departments(session: Session, *, org_id: int) -> list[Department]:
    """The organisation's departments by name."""
    return list(session.scalars(select(Department).where(Department.org_id == org_id).order_by(Department.name)))


def categories(session: Session, *, org_id: int) -> list[Category]:
    """The organisation's categories by name."""
    return list(session.scalars(select(Category).where(Category.org_id == org_id).order_by(Category.name)))


def officers(session: Session, *, department_id: int) -> list[User]:
    """Active officers and managers of a department (who a case can be assigned to)."""
    query = select(User).where(
        User.department_id == department_id,
        User.is_active.is_(True),
        User.role.in_((Role.officer, Role.dept_manager)),
    )
    return list(session.scalars(query.order_by(User.display_name)))


def organisations(session: Session) -> list[Organisation]:
    """Every organisation of the deployment, by name."""
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


def _names(session: Session, id_column: Any, name_column: Any, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(id_column, name_column).where(id_column.in_(wanted)))
    return {row_id: name for row_id, name in rows}


def department_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Names of the given departments, for labelling rows."""
    return _names(session, Department.id, Department.name, ids)


def category_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Names of the given categories."""
    return _names(session, Category.id, Category.name, ids)


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of the given users."""
    return _names(session, User.id, User.display_name, ids)


# --------------------------------------------------------------------------------------------- public


def public_condition() -> ColumnElement[bool]:
    """The one definition of what the public may see, used by every public surface (pages, search, feeds, open
    data, Open311, statistics, transfer links): released, public, not made private by the citizen, not 공익신고,
    not hidden.

    Written so it compiles exactly like the partial indexes' predicate (portal/models.py PG_PUBLIC_WHERE): the
    planners use those indexes only when they can match it.
    """
    return and_(
        Case.released_at.is_not(None),
        Case.is_public.is_(True),
        Case.citizen_private.is_(False),
        Case.is_whistleblower.is_(False),
        Case.status != CaseStatus.rejected,
    )


def publicly_listed() -> Select[Case]:
    """Cases the public may see (`public_condition`)."""
    return select(Case).where(public_condition())


def is_published(case: Case) -> bool:
    """`public_condition` of a loaded case, in Python."""
    return bool(
        case.released_at is not None
        and case.is_public
        and not case.citizen_private
        and not case.is_whistleblower
        and case.status != CaseStatus.rejected
    )


REVIEW_LIMIT = 50


def awaiting_release(session: Session, *, actor: Actor, limit: int = REVIEW_LIMIT) -> tuple[list[Case], int]:
    """공개 검토: the organisation's cases that may be published but wait for a person, oldest first, and how many
    there are (operators and admins only: the list shows what the citizens wrote)."""
    if not actor.is_staff or actor.role not in (Role.admin, Role.operator):
        raise PermissionDenied("공개 검토 is for operators")
    query = select(Case).where(
        Case.org_id == actor.org_id,
        Case.released_at.is_(None),
        Case.is_public.is_(True),
        Case.citizen_private.is_(False),
        Case.is_whistleblower.is_(False),
        Case.status.not_in((CaseStatus.rejected, CaseStatus.transferred_out)),
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    cases = session.scalars(query.order_by(Case.received_at, Case.id).limit(max(1, min(limit, MAX_PAGE_SIZE))))
    return list(cases), total


def publication_state(case: Case) -> str:
    """What the public sees of a case, in one word for the console: published, review, private,
    citizen_private or whistleblower (a hidden case is never published whatever its flags)."""
    if case.is_whistleblower:
        return "whistleblower"
    if case.citizen_private:
        return "citizen_private"
    if is_published(case):
        return "published"
    if case.is_public and case.status not in (CaseStatus.rejected, CaseStatus.transferred_out):
        return "review"
    return "private"


def list_public_cases(
    session: Session, *, org_id: int | None = None, page: int = 1, page_size: int = 20
) -> tuple[list[Case], int]:
    """One page of publicly listed cases, newest first, and their total."""
    query = publicly_listed()
    if org_id is not None:
        query = query.where(Case.org_id == org_id)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.options(selectinload(Case.answers))
        .order_by(Case.received_at.desc(), Case.id.desc())
        .limit(page_size)
        .offset((max(1, page) - 1) * page_size)
    )
    return list(items), total


def get_public_case(session: Session, *, number: str) -> Case:
    """A publicly listed case by number; NotFound for non-public, 공익신고 and hidden cases alike."""
    case = session.scalar(publicly_listed().where(Case.number == number).options(selectinload(Case.answers)))
    if case is None:
        raise NotFound("no such case")
    return case


def citizen_photos(session: Session, case_id: int) -> list[Attachment]:
    """The files the citizen sent with the case's messages, oldest first (for their own receipt, never public)."""
    return list(
        session.scalars(
            select(Attachment)
            .join(Message, Message.id == Attachment.message_id)
            .where(Message.case_id == case_id)
            .order_by(Attachment.id)
        )
    )


def public_generation(connection: Connection) -> int:
    """The public generation (cases.models.PublicGeneration): 0 before the first change of what the public sees."""
    value = connection.scalar(select(PublicGeneration.value).where(PublicGeneration.id == 1))
    return int(value or 0)
