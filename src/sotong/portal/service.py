"""What the public may read: listed cases, one case page, the showcase. Queries only, never a write.

Every query starts from `cases.service.publicly_listed()` (public, not 공익신고, not hidden), so a case the
public may not see cannot slip in through a filter, a search or the showcase. Pages are read by keyset on
(received_at, id) over the partial index `ix_cases_public_received`: page 5,000 costs what page 1 costs.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select, tuple_
from sqlalchemy.orm import Session, joinedload, selectinload

from sotong.audit.models import AuditEvent
from sotong.audit.service import case_timeline
from sotong.cases import links
from sotong.cases.models import Answer, Attachment, Case, CaseStatus
from sotong.cases.service import TransferLink, public_condition, publicly_listed, transfer_links
from sotong.cases.status import OPEN_STATUSES
from sotong.channels import registry
from sotong.db import utcnow
from sotong.errors import NotFound
from sotong.orgs.models import Category, Channel, Department, Organisation
from sotong.portal.models import ShowcaseEntry
from sotong.search.models import CaseSearchDoc
from sotong.search.service import count_matches, doc_condition
from sotong.text.places import area_of
from sotong.web import maps

PAGE_SIZE = 20
# Counting every match of a broad filter over a million rows costs more than the page itself; past this the
# page says "more than 1,000".
COUNT_CAP = 1000
# A search alone the planner expects to match this many times the cap is not counted (search.count_matches).
ESTIMATE_FACTOR = 20
SEOUL = ZoneInfo("Asia/Seoul")


class ChannelGroup(StrEnum):
    """How the public thinks of intake channels (Seoul's 응답소 shows SNS, phone, web...)."""

    sns = "sns"
    phone = "phone"
    web = "web"
    email = "email"
    visit = "visit"


# Each channel says which group it belongs to (its connector's `public_group`).
CHANNEL_GROUPS: dict[ChannelGroup, tuple[Channel, ...]] = {
    ChannelGroup(group): tuple(Channel(name) for name in names) for group, names in registry.public_groups().items()
}
GROUP_OF_CHANNEL = {channel: group for group, channels in CHANNEL_GROUPS.items() for channel in channels}


class PublicStatus(StrEnum):
    """The stages the public sees; the staff's finer statuses fold into them."""

    received = "received"  # 접수
    in_progress = "in_progress"  # 처리중
    on_hold = "on_hold"  # 보류: said as it is (the citizen was told why and until when), not "처리중"
    answered = "answered"  # 답변완료
    transferred = "transferred"  # 이송


PUBLIC_STATUSES: dict[PublicStatus, tuple[CaseStatus, ...]] = {
    PublicStatus.received: (CaseStatus.received, CaseStatus.triaged, CaseStatus.assigned),
    PublicStatus.in_progress: (
        CaseStatus.in_progress,
        CaseStatus.reopened,
        CaseStatus.transferred,
    ),
    PublicStatus.on_hold: (CaseStatus.on_hold,),
    PublicStatus.answered: (CaseStatus.answered, CaseStatus.closed),
    PublicStatus.transferred: (CaseStatus.transferred_out,),
}
PUBLIC_STATUS_OF = {status: public for public, statuses in PUBLIC_STATUSES.items() for status in statuses}


@dataclass(frozen=True)
class Cursor:
    """A position in the newest-first list: the (received_at, id) of the last row shown."""

    received_at: dt.datetime
    case_id: int

    def encode(self) -> str:
        """`<microseconds since epoch>.<id>`: short, opaque enough, safe in a URL."""
        micros = round(self.received_at.timestamp() * 1_000_000)
        return f"{micros}.{self.case_id}"

    @classmethod
    def decode(cls, value: str | None) -> Cursor | None:
        """The cursor of a URL parameter; None for a missing or malformed one (then the list starts at the top)."""
        if not value:
            return None
        try:
            micros, case_id = value.split(".", 1)
            at = dt.datetime.fromtimestamp(int(micros) / 1_000_000, tz=dt.UTC)
            return cls(received_at=at, case_id=int(case_id))
        except (ValueError, OverflowError, OSError):
            return None

    @classmethod
    def of(cls, case: Case) -> Cursor:
        """The cursor just past `case`."""
        return cls(received_at=case.received_at, case_id=case.id)


@dataclass(frozen=True)
class PublicFilters:
    """What the public list may be narrowed by; every field optional."""

    org_id: int | None = None
    channel_group: ChannelGroup | None = None
    category_id: int | None = None
    department_id: int | None = None
    status: PublicStatus | None = None
    received_from: dt.date | None = None  # dates in Seoul time, both ends included
    received_to: dt.date | None = None
    q: str | None = None


@dataclass
class PublicPage:
    items: list[Case]
    next_cursor: Cursor | None
    total: int | None  # capped at COUNT_CAP + 1; None: not counted (a search combined with filters)
    searchable: bool = True  # False: the search words held nothing to look for
    labels: dict[str, dict[int, str]] = field(default_factory=dict)

    @property
    def total_capped(self) -> bool:
        return self.total is not None and self.total > COUNT_CAP


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=SEOUL).astimezone(dt.UTC)


@dataclass(frozen=True)
class _Query:
    select: Select[Case]
    searchable: bool
    # What the list is ordered and paged by: the case's (received_at, id), or for a search the same values as
    # copied onto the search document, so matches are sorted without visiting every matching case row.
    order: tuple[Any, Any]
    # A search with no other filter: the condition on the search documents, which can then be paged alone.
    search_only: Any = None


def _filtered(session: Session, filters: PublicFilters) -> _Query:
    query = publicly_listed()
    if filters.org_id is not None:
        query = query.where(Case.org_id == filters.org_id)
    if filters.channel_group is not None:
        query = query.where(Case.channel.in_(CHANNEL_GROUPS[filters.channel_group]))
    if filters.category_id is not None:
        query = query.where(Case.category_id == filters.category_id)
    if filters.department_id is not None:
        query = query.where(Case.department_id == filters.department_id)
    if filters.status is not None:
        query = query.where(Case.status.in_(PUBLIC_STATUSES[filters.status]))
    if filters.received_from is not None:
        query = query.where(Case.received_at >= _start_of(filters.received_from))
    if filters.received_to is not None:
        query = query.where(Case.received_at < _start_of(filters.received_to + dt.timedelta(days=1)))
    if not (filters.q and filters.q.strip()):
        return _Query(query, True, (Case.received_at, Case.id))
    condition = doc_condition(filters.q, session.get_bind().dialect.name)
    if condition is None:
        return _Query(query.where(Case.id.is_(None)), False, (Case.received_at, Case.id))  # nothing to look for
    search_only = condition if filters == PublicFilters(q=filters.q) else None
    query = query.join(CaseSearchDoc, CaseSearchDoc.case_id == Case.id).where(condition)
    return _Query(query, True, (CaseSearchDoc.received_at, CaseSearchDoc.case_id), search_only)


def list_cases(
    session: Session, *, filters: PublicFilters, after: Cursor | None = None, page_size: int = PAGE_SIZE
) -> PublicPage:
    """One page of publicly listed cases, newest first, starting after `after`."""
    built = _filtered(session, filters)
    query, (at, key) = built.select, built.order
    total: int | None = None
    if not filters.q:
        # The partial index hands over listed rows in order; counting stops at the cap.
        capped = query.with_only_columns(Case.id).limit(COUNT_CAP + 1).subquery()
        total = session.scalar(select(func.count()).select_from(capped)) or 0
    elif filters == PublicFilters(q=filters.q) and not built.searchable:
        total = 0  # nothing to look for
    # A search with filters shows no count: exact would need a pass over every match joined to its case.
    if built.search_only is not None:
        rows = _search_page(session, built.search_only, after, page_size + 1)
        # A search alone: the search index counts by itself (documents exist for listed cases only). When this
        # page is full and the planner expects many times the cap, "more than 1,000" is said without counting.
        full = len(rows) > page_size
        estimate_above = COUNT_CAP * ESTIMATE_FACTOR if full else None
        total = count_matches(session, filters.q or "", cap=COUNT_CAP + 1, estimate_above=estimate_above)
    else:
        if after is not None:
            query = query.where(tuple_(at, key) < tuple_(after.received_at, after.case_id))
        rows = list(
            session.scalars(
                query.options(selectinload(Case.answers)).order_by(at.desc(), key.desc()).limit(page_size + 1)
            )
        )
    items = rows[:page_size]
    next_cursor = Cursor.of(items[-1]) if len(rows) > page_size else None
    return PublicPage(
        items=items, next_cursor=next_cursor, total=total, searchable=built.searchable, labels=labels(session, items)
    )


def _search_page(session: Session, condition: Any, after: Cursor | None, limit: int) -> list[Case]:
    """A page of a search without other filters, read from the search documents alone, then its cases by id.

    Joined to `cases`, PostgreSQL sorts after the join and so fetches every matching case row for a page of
    twenty; the documents carry the time and exist for publicly listed cases only, so they can be paged alone.
    """
    ids_query = select(CaseSearchDoc.case_id).where(condition)
    if after is not None:
        ids_query = ids_query.where(
            tuple_(CaseSearchDoc.received_at, CaseSearchDoc.case_id) < tuple_(after.received_at, after.case_id)
        )
    ids = list(
        session.scalars(ids_query.order_by(CaseSearchDoc.received_at.desc(), CaseSearchDoc.case_id.desc()).limit(limit))
    )
    if not ids:
        return []
    # publicly_listed() again: a document can never make a case public, whatever state the index is in.
    found = session.scalars(publicly_listed().where(Case.id.in_(ids)).options(selectinload(Case.answers)))
    by_id = {case.id: case for case in found}
    return [by_id[i] for i in ids if i in by_id]


def newer_than(session: Session, *, filters: PublicFilters, since: Cursor, limit: int = PAGE_SIZE) -> list[Case]:
    """Cases received after `since` that match the filters, newest first (what the live list adds on top)."""
    built = _filtered(session, filters)
    at, key = built.order
    query = built.select.where(tuple_(at, key) > tuple_(since.received_at, since.case_id))
    return list(session.scalars(query.order_by(at.desc(), key.desc()).limit(limit)))


def labels(session: Session, cases: list[Case]) -> dict[str, dict[int, str]]:
    """Names of the organisations, departments and categories the given cases refer to."""

    def names(model: type[Organisation] | type[Department] | type[Category], ids: set[int | None]) -> dict[int, str]:
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        rows = session.execute(select(model.id, model.name).where(model.id.in_(wanted)))
        return {row_id: name for row_id, name in rows}

    return {
        "orgs": names(Organisation, {c.org_id for c in cases}),
        "departments": names(Department, {c.department_id for c in cases}),
        "categories": names(Category, {c.category_id for c in cases}),
    }


def get_case(session: Session, *, number: str, presented: str | None = None) -> Case:
    """A publicly listed case by number, or any case to the citizen who filed it (`presented`: the token of
    their receipt or tracking link); NotFound for non-public, 공익신고 and hidden cases alike otherwise."""
    query = select(Case).where(_visible(session, number, presented), Case.number == number)
    case = session.scalar(query.options(selectinload(Case.answers)))
    if case is None:
        raise NotFound("no such case")
    return case


def _visible(session: Session, number: str, presented: str | None) -> ColumnElement[bool]:
    """Who may read the case page: the public a released case (`public_condition`); the citizen who filed it,
    proven by their token, their own case while it is waiting for review, private or a 공익신고 (masked as always:
    the page shows no raw text), so they can follow it, rate the answer and ask again. A hidden case (spam,
    abuse) answers like a missing one even to its author."""
    if presented:
        stored = session.scalar(select(Case.citizen_token).where(Case.number == number))
        if links.verify(case_number=number, citizen_token=stored, presented=presented):
            return Case.status != CaseStatus.rejected
    return public_condition()


@dataclass
class CasePage:
    """Everything the public case page shows, read in two or three round trips (not one per part)."""

    case: Case
    names: dict[str, dict[int, str]]
    showcased: bool
    timeline: list[AuditEvent]
    photos: dict[int, list[Attachment]]
    came_from: TransferLink | None = None  # 이송: the case it was transferred from, at another organisation
    went_to: TransferLink | None = None  # and the one it was transferred to


def case_page(session: Session, *, number: str, presented: str | None = None) -> CasePage:
    """A publicly listed case with its names, answers, showcase flag, public timeline and result photos;
    NotFound like `get_case`.

    The case, its three names and the showcase flag come in one statement with the answers joined: a case page
    is the one page a cache cannot help (a million cases, each read now and then), so round trips are its cost.
    """
    showcased = select(ShowcaseEntry.case_id).where(ShowcaseEntry.case_id == Case.id).exists()
    row = (
        session.execute(
            select(Case)
            .where(_visible(session, number, presented))
            .add_columns(Organisation.name, Department.name, Category.name, showcased)
            .join(Organisation, Organisation.id == Case.org_id)
            .outerjoin(Department, Department.id == Case.department_id)
            .outerjoin(Category, Category.id == Case.category_id)
            .where(Case.number == number)
            .options(joinedload(Case.answers))
        )
        .unique()
        .first()
    )
    if row is None:
        raise NotFound("no such case")
    case, org_name, department_name, category_name, is_showcased = row
    names: dict[str, dict[int, str]] = {"orgs": {case.org_id: org_name}, "departments": {}, "categories": {}}
    if case.department_id is not None and department_name is not None:
        names["departments"][case.department_id] = department_name
    if case.category_id is not None and category_name is not None:
        names["categories"][case.category_id] = category_name
    came_from, went_to = (
        transfer_links(session, case) if case.source_case_id or case.transferred_to_case_id else (None, None)
    )
    return CasePage(
        case=case,
        names=names,
        showcased=bool(is_showcased),
        timeline=public_timeline(session, case=case),
        photos=answer_photos(session, case=case),
        came_from=came_from,
        went_to=went_to,
    )


def public_timeline(session: Session, *, case: Case) -> list[AuditEvent]:
    """The public events of a case, oldest first."""
    return case_timeline(session, case_id=case.id, public_only=True)


class DeadlineState(StrEnum):
    met = "met"  # answered on or before the deadline
    missed = "missed"  # answered late, or still open past it
    running = "running"  # open, deadline ahead


def deadline_state(case: Case, now: dt.datetime | None = None) -> DeadlineState | None:
    """Whether the case kept its statutory deadline; None where no deadline applies (transferred out)."""
    if case.status is CaseStatus.transferred_out:
        return None
    if case.answered_at is not None and case.status not in OPEN_STATUSES:
        return DeadlineState.met if case.answered_at <= case.due_at else DeadlineState.missed
    return DeadlineState.missed if (now or utcnow()) > case.due_at else DeadlineState.running


# About 50 m: 0.0005° of latitude is 55 m; of longitude at Seoul's 37.5°N, 44 m.
_GRID = 0.0005


def coarse_location(case: Case) -> tuple[float, float] | None:
    """The case's location snapped to a ~50 m grid, so the public map cannot point at a front door."""
    if case.latitude is None or case.longitude is None:
        return None
    return (
        round(math.floor(case.latitude / _GRID) * _GRID + _GRID / 2, 5),
        round(math.floor(case.longitude / _GRID) * _GRID + _GRID / 2, 5),
    )


def answer_photos(session: Session, *, case: Case) -> dict[int, list[Attachment]]:
    """Image attachments of the case's answers (result photos), by answer id; a citizen's own photos are never
    shown, they may show faces, plates and homes.
    """
    answer_ids = [a.id for a in case.answers]
    if not answer_ids:
        return {}
    rows = session.scalars(
        select(Attachment)
        .where(Attachment.answer_id.in_(answer_ids), Attachment.content_type.like("image/%"))
        .order_by(Attachment.id)
    )
    photos: dict[int, list[Attachment]] = {}
    for attachment in rows:
        assert attachment.answer_id is not None
        photos.setdefault(attachment.answer_id, []).append(attachment)
    return photos


def answer_photo(session: Session, *, number: str, attachment_id: int) -> Attachment:
    """One result photo of a publicly listed case; NotFound for anything else (a citizen's photo included)."""
    case = get_case(session, number=number)
    attachment = session.scalar(
        select(Attachment)
        .join(Answer, Answer.id == Attachment.answer_id)
        .where(Attachment.id == attachment_id, Answer.case_id == case.id, Attachment.content_type.like("image/%"))
    )
    if attachment is None:
        raise NotFound("no such photo")
    return attachment


def showcase(session: Session, *, org_id: int | None = None, limit: int = 50) -> list[tuple[Case, ShowcaseEntry]]:
    """The curated best answers, newest choice first; a case no longer publicly listed drops out by itself."""
    listed = publicly_listed().subquery()
    query = (
        select(Case, ShowcaseEntry)
        .join(ShowcaseEntry, ShowcaseEntry.case_id == Case.id)
        .where(Case.id.in_(select(listed.c.id)))
        .options(selectinload(Case.answers))
        .order_by(ShowcaseEntry.created_at.desc())
        .limit(limit)
    )
    if org_id is not None:
        query = query.where(Case.org_id == org_id)
    return [(row[0], row[1]) for row in session.execute(query)]


def is_showcased(session: Session, *, case_id: int) -> bool:
    """Whether staff put this case in the showcase."""
    return session.get(ShowcaseEntry, case_id) is not None


def organisations(session: Session) -> list[Organisation]:
    """Every organisation (the district filter)."""
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


def departments(session: Session, *, org_id: int | None) -> list[Department]:
    """Departments for the filter: of one organisation, or all."""
    query = select(Department).order_by(Department.name)
    if org_id is not None:
        query = query.where(Department.org_id == org_id)
    return list(session.scalars(query))


def categories(session: Session, *, org_id: int | None) -> list[Category]:
    """Categories for the filter: of one organisation, or all."""
    query = select(Category).order_by(Category.name)
    if org_id is not None:
        query = query.where(Category.org_id == org_id)
    return list(session.scalars(query))


def place_name(case: Case, lang: str = "ko") -> str | None:
    """Where, in words: the district and road of the address (text/places.area_of: no building number), else the
    district the (snapped) position falls in; never the coordinates, which read as nothing to a citizen."""
    area = area_of(case.address)
    if area:
        return area
    location = coarse_location(case)
    if location is None:
        return None
    district = maps.district_at(location[1], location[0])
    if district is None:
        return None
    return district[1] if lang == "en" and district[1] else district[0]
