"""Reading the SNS centre's inbox: every case of the organisation, newest first, with its automatic triage.

Queries only, never a write. Every query starts from `cases.service.visible_cases`, and only the desk roles
(`INBOX_ROLES`) get this far: the inbox shows the whole organisation's unrouted and non-public messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from sotong.actors import Actor, Role
from sotong.cases import service as case_service
from sotong.cases.models import Case, CaseStatus, ComplaintType, Message
from sotong.cases.service import CaseFilters, DeadlineState, deadline_state
from sotong.console.counts import Count, bounded_count
from sotong.errors import PermissionDenied
from sotong.orgs.models import Channel, ChannelAccount
from sotong.orgs.taxonomy import standard_category
from sotong.text.pii import mask
from sotong.triage.models import TriageResult

INBOX_ROLES = frozenset({Role.admin, Role.operator})
PAGE_SIZE = 50
PREVIEW_LENGTH = 160
# A case committed a moment after a newer one has a lower id than the newest a browser has seen; looking a
# few ids back (the browser drops the ones it already shows) keeps such a case from being missed for good.
LOOKBACK_IDS = 20
MAX_NEW_ROWS = 100


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox may be narrowed by (all optional; unset shows everything, newest first)."""

    channel: Channel | None = None
    account_id: int | None = None
    status: CaseStatus | None = None
    category_id: int | None = None
    department_id: int | None = None
    complaint_type: ComplaintType | None = None
    deadline: DeadlineState | None = None
    q: str | None = None
    # Only what waits for the desk (분류 대기, and 검토: triaged but sent to no department); the page opens on it.
    waiting: bool = False

    def is_default(self) -> bool:
        return self == InboxFilters()

    def for_cases(self) -> CaseFilters:
        """The same narrowing, as every staff case list writes it (cases/service.py)."""
        return CaseFilters(
            channel=self.channel,
            account_id=self.account_id,
            status=self.status,
            category_id=self.category_id,
            department_id=self.department_id,
            complaint_type=self.complaint_type,
            deadline=self.deadline,
            q=self.q,
            q_in_handles=True,
        )


@dataclass
class InboxRow:
    """One case as the inbox shows it: the case, its latest triage and what the row needs to render."""

    case: Case
    triage: TriageResult | None
    overdue: bool
    due_soon: bool
    duplicate_number: str | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    messages: int = 1  # the first message and the citizen's follow-ups

    @property
    def preview(self) -> str:
        """The masked preview, worked out only when the row is rendered (a cached row needs none)."""
        return preview(self.case.body)

    @property
    def version(self) -> str:
        """Changes whenever the row would render differently (the browser replaces only changed rows)."""
        triage_id = self.triage.id if self.triage is not None else 0
        stamp = self.case.updated_at.timestamp()
        return f"{stamp:.6f}-{triage_id}-{self.messages}-{int(self.overdue)}{int(self.due_soon)}"


def require_inbox(actor: Actor) -> None:
    """Only the desk (operators, administrators) reads and works the organisation-wide inbox."""
    if not actor.is_staff or actor.role not in INBOX_ROLES:
        raise PermissionDenied("the inbox is for the SNS centre desk (operators and administrators)")


def _filtered(actor: Actor, filters: InboxFilters, now: dt.datetime) -> Select[Case]:
    query = case_service.filtered_cases(actor, filters.for_cases(), now)
    if filters.waiting:
        query = query.where(waits_for_desk())
    return query


def waits_for_desk() -> Any:
    """Cases the desk still has to act on: received and not triaged, or triaged to no department (to review).

    Answered, closed, hidden and routed cases are someone else's work or nobody's: the desk finds them through
    the status filter, not at the top of its list.
    """
    return or_(
        Case.status == CaseStatus.received,
        and_(Case.status == CaseStatus.triaged, Case.department_id.is_(None)),
    )


def _order(filters: InboxFilters) -> tuple[Any, bool]:
    """The column a page is ordered by and whether descending.

    Newest first by default. With a deadline filter the list follows the deadline instead (due soon: soonest
    first; overdue: the most recently missed first): overdue cases are old ones, so walking the received-time
    index from the newest would read most of the table before finding a page of them, while `ix_cases_due_at`
    starts right at the boundary.
    """
    if filters.deadline is DeadlineState.due_soon:
        return Case.due_at, False
    if filters.deadline is DeadlineState.overdue:
        return Case.due_at, True
    return Case.received_at, True


def page_query(
    actor: Actor, filters: InboxFilters, now: dt.datetime, *, anchor: tuple[dt.datetime, int] | None, limit: int
) -> Select[Case]:
    """The query of one page, after `anchor` (the sort value and id of the last row shown), one row extra."""
    query = _filtered(actor, filters, now)
    column, descending = _order(filters)
    if anchor is not None:
        at, anchor_id = anchor
        # The first conjunct alone can use the index; the second breaks ties on the same instant.
        if descending:
            query = query.where(and_(column <= at, or_(column < at, Case.id < anchor_id)))
        else:
            query = query.where(and_(column >= at, or_(column > at, Case.id > anchor_id)))
    if descending:
        return query.order_by(column.desc(), Case.id.desc()).limit(limit + 1)
    return query.order_by(column.asc(), Case.id.asc()).limit(limit + 1)


def inbox_page(
    session: Session,
    *,
    actor: Actor,
    filters: InboxFilters,
    now: dt.datetime,
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[Case], int | None]:
    """One page and the id to continue from (None on the last page).

    Keyset pagination on (sort value, id): the default view walks `ix_cases_org_received_at` backwards and
    stops after `limit` rows, so page 1 and page 1000 cost the same and no total is counted over the table.
    """
    require_inbox(actor)
    anchor = None
    if before_id is not None:
        column, _ = _order(filters)
        row = session.execute(select(column, Case.id).where(Case.id == before_id)).first()
        anchor = (row[0], row[1]) if row is not None else None
    rows = list(session.scalars(page_query(actor, filters, now, anchor=anchor, limit=limit)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def new_since(
    session: Session,
    *,
    actor: Actor,
    filters: InboxFilters,
    since_id: int,
    now: dt.datetime,
    created_after: dt.datetime | None = None,
) -> list[Case]:
    """Cases matching the filters that arrived after case `since_id`, newest first; with `created_after`, also
    the few just before it that were created after that time (committed late: see LOOKBACK_IDS)."""
    require_inbox(actor)
    newer = Case.id > since_id
    if created_after is not None:
        late = and_(Case.id > max(0, since_id - LOOKBACK_IDS), Case.created_at > created_after)
        newer = or_(newer, late)
    query = _filtered(actor, filters, now).where(newer)
    rows = list(session.scalars(query.order_by(Case.id.desc()).limit(MAX_NEW_ROWS)))
    return sorted(rows, key=lambda c: (c.received_at, c.id), reverse=True)


def newest_id(session: Session) -> int:
    """The newest case id of the whole table (a primary-key look-up): polls ask for what arrives after it."""
    return session.scalar(select(func.max(Case.id))) or 0


def changed_since(session: Session, *, actor: Actor, ids: Sequence[int], after: dt.datetime | None) -> list[Case]:
    """Of the cases a browser shows, those changed (or newly triaged) after `after` (None: all of them), in the
    order of `ids`; primary-key look-ups only."""
    require_inbox(actor)
    wanted = list(dict.fromkeys(ids))[: PAGE_SIZE * 4]
    if not wanted:
        return []
    query = case_service.visible_cases(actor).where(Case.id.in_(wanted))
    if after is not None:
        triaged = select(TriageResult.case_id).where(TriageResult.case_id.in_(wanted), TriageResult.created_at > after)
        # A follow-up message changes no column of an open case: look for new messages too.
        followed = select(Message.case_id).where(Message.case_id.in_(wanted), Message.created_at > after)
        query = query.where(or_(Case.updated_at > after, Case.id.in_(triaged), Case.id.in_(followed)))
    order = {case_id: i for i, case_id in enumerate(wanted)}
    return sorted(session.scalars(query), key=lambda c: order[c.id])


def waiting_count(session: Session, *, actor: Actor) -> Count:
    """Cases still at the desk (received, not yet triaged by anyone): the number the desk works down, counted
    up to COUNT_LIMIT ("1,000+"): on every page view and every poll, a backlog must not cost a scan of itself."""
    require_inbox(actor)
    return bounded_count(session, case_service.visible_cases(actor).where(Case.status == CaseStatus.received))


def latest_results(session: Session, case_ids: Iterable[int]) -> dict[int, TriageResult]:
    """The newest triage decision of each case (cases never triaged are absent)."""
    wanted = list(set(case_ids))
    if not wanted:
        return {}
    newest = select(func.max(TriageResult.id)).where(TriageResult.case_id.in_(wanted)).group_by(TriageResult.case_id)
    rows = session.scalars(select(TriageResult).where(TriageResult.id.in_(newest)))
    return {row.case_id: row for row in rows}


def accounts(session: Session, *, org_id: int) -> list[ChannelAccount]:
    """The organisation's official accounts, for the account filter."""
    query = select(ChannelAccount).where(ChannelAccount.org_id == org_id)
    return list(session.scalars(query.order_by(ChannelAccount.channel, ChannelAccount.handle)))


def preview(text: str) -> str:
    """A short masked preview: phone numbers, e-mail addresses, RRNs, cards and plates never reach the list."""
    masked = " ".join(mask(text[: PREVIEW_LENGTH * 3]).split())
    return masked[:PREVIEW_LENGTH] + ("…" if len(masked) > PREVIEW_LENGTH else "")


def rows_for(
    session: Session,
    cases: Sequence[Case],
    *,
    now: dt.datetime,
    categories: dict[int, str],
    departments: dict[int, str],
) -> list[InboxRow]:
    """Inbox rows for these cases: latest triage, duplicate numbers, named top-3 candidates, masked preview."""
    results = latest_results(session, (c.id for c in cases))
    duplicates = case_service.case_numbers(
        session, {r.duplicate_of_case_id for r in results.values() if r.duplicate_of_case_id is not None}
    )
    counts = message_counts(session, [c.id for c in cases])
    rows = []
    for case in cases:
        result = results.get(case.id)
        candidates = []
        for candidate in (result.candidates if result is not None else [])[:3]:
            category_id, department_id = candidate.get("category_id"), candidate.get("department_id")
            # A standard code the organisation has mapped no category onto is named from the shipped taxonomy
            # (in Korean), never shown as the code the model speaks.
            standard = None if category_id else standard_category(candidate.get("code"))
            candidates.append(
                {
                    "label": categories.get(category_id) if category_id else None,
                    "standard": standard.name if standard else None,
                    "code": candidate.get("code"),
                    "department": departments.get(department_id) if department_id else None,
                    "confidence": float(candidate.get("confidence") or 0.0),
                }
            )
        rows.append(
            InboxRow(
                case=case,
                triage=result,
                overdue=deadline_state(case, now) is DeadlineState.overdue,
                due_soon=deadline_state(case, now) is DeadlineState.due_soon,
                duplicate_number=duplicates.get(result.duplicate_of_case_id)
                if result is not None and result.duplicate_of_case_id is not None
                else None,
                candidates=candidates,
                messages=counts.get(case.id, 1),
            )
        )
    return rows


def message_counts(session: Session, case_ids: Sequence[int]) -> dict[int, int]:
    """How many messages each case holds (its first and the follow-ups merged into it)."""
    if not case_ids:
        return {}
    query = select(Message.case_id, func.count()).where(Message.case_id.in_(case_ids)).group_by(Message.case_id)
    return {case_id: count for case_id, count in session.execute(query) if case_id is not None}
