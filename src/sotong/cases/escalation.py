"""The escalation sweep: warn the officer before a deadline, tell the manager when it passes, once each.

`Case.next_escalation_at` holds when the next escalation of a case is due (NULL once nothing is left to
raise, or when the clock stopped); a partial index over it makes the sweep read only due rows, whatever
the number of open cases. Any number of workers may sweep at once: rows are claimed with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, and every raise is a conditional UPDATE from the level that
was read, so a second sweeper that read the same row raises nothing. The notifications it queues carry
idempotency keys that the outbox's unique constraint would refuse twice, as a last line of defence.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Row, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from sotong.actors import WORKER, Role
from sotong.audit.service import event_values, record_many
from sotong.cases.deadlines import sla
from sotong.cases.models import Case, CaseStatus
from sotong.cases.status import OPEN_STATUSES
from sotong.db import atomic, utcnow
from sotong.i18n import translate
from sotong.notifications.service import Fanout
from sotong.orgs.models import Organisation, User
from sotong.outbox.service import enqueue_many
from sotong.settings import get_settings

DUE_SOON = 1  # the officer is warned
OVERDUE = 2  # the department's manager is told
DEFAULT_BATCH = 200


@dataclass(frozen=True)
class _Due:
    id: int
    org_id: int
    number: str
    status: CaseStatus
    department_id: int | None
    officer_id: int | None
    due_at: dt.datetime
    level: int


def due_query(now: dt.datetime, *, limit: int, postgresql: bool) -> Any:
    """The SELECT that finds due cases through the partial index (exposed so the benchmark can EXPLAIN it)."""
    query = (
        select(
            Case.id,
            Case.org_id,
            Case.number,
            Case.status,
            Case.department_id,
            Case.officer_id,
            Case.due_at,
            Case.escalation_level,
        )
        # `<= now` implies NOT NULL, the predicate of ix_cases_next_escalation_at: the planner uses it.
        .where(Case.next_escalation_at <= now)
        .order_by(Case.next_escalation_at)
        .limit(limit)
    )
    # `of=Case`: lock the case rows only. SKIP LOCKED: a row another sweeper holds is its business.
    return query.with_for_update(skip_locked=True, of=Case) if postgresql else query


def sweep(session: Session, *, now: dt.datetime | None = None, limit: int = 1000, batch: int = DEFAULT_BATCH) -> int:
    """Raise every escalation due at `now` (at most `limit` cases), committing per batch; returns how many cases."""
    now = now or utcnow()
    warning = dt.timedelta(minutes=get_settings().escalation_warning_minutes)
    postgresql = session.get_bind().dialect.name == "postgresql"
    raised = 0
    remaining = limit
    recipients = _Recipients(session)
    while remaining > 0:
        size = min(batch, remaining)
        with atomic(session):
            rows = session.execute(due_query(now, limit=size, postgresql=postgresql)).all()
            plans = [_plan(_as_due(row), now=now, warning=warning) for row in rows]
            won = _move(session, plans)
            raised += _raise(session, [p for p in plans if p.case.id in won], recipients)
        if len(rows) < size:
            break
        remaining -= len(rows)
    return raised


@dataclass(frozen=True)
class _Plan:
    case: _Due
    levels: tuple[int, ...]  # the levels to raise now, in order
    level: int  # where the case ends up
    next_at: dt.datetime | None


def _as_due(row: Row[Any]) -> _Due:
    return _Due(
        id=row.id,
        org_id=row.org_id,
        number=row.number,
        status=row.status,
        department_id=row.department_id,
        officer_id=row.officer_id,
        due_at=row.due_at,
        level=row.escalation_level,
    )


def _plan(case: _Due, *, now: dt.datetime, warning: dt.timedelta) -> _Plan:
    """Every level of `case` due at `now`: a case first seen already overdue gets both, in order."""
    if case.status not in OPEN_STATUSES:
        # A stopped clock left a pending escalation behind: clear it, so the sweep stops reading the row.
        return _Plan(case, (), case.level, None)
    level, next_at = case.level, sla.next_escalation(level=case.level, due_at=case.due_at, warning=warning)[1]
    levels: list[int] = []
    while next_at is not None and next_at <= now and level < OVERDUE:
        level += 1
        levels.append(level)
        next_at = sla.next_escalation(level=level, due_at=case.due_at, warning=warning)[1]
    return _Plan(case, tuple(levels), level, next_at)


def _move(session: Session, plans: list[_Plan]) -> set[int]:
    """Conditional UPDATEs from the levels we read, one per (old level, new level); returns the ids we won.

    A row whose level changed since we read it (another sweeper raised it) does not match and is left alone.
    The next escalation time is derived from `due_at` in SQL (after "due soon" it is the deadline itself,
    after "overdue" there is none), so each statement is short and the same for every batch: the database
    and the driver reuse its plan instead of parsing thousands of placeholders per batch.
    """
    groups: dict[tuple[int, int, str], list[int]] = defaultdict(list)
    retimed: list[_Plan] = []
    for plan in plans:
        if plan.next_at is None:
            groups[(plan.case.level, plan.level, "none")].append(plan.case.id)
        elif plan.next_at == plan.case.due_at:
            groups[(plan.case.level, plan.level, "deadline")].append(plan.case.id)
        else:
            # Nothing due after all (the warning period was changed since): only the next time moves.
            retimed.append(plan)
    postgresql = session.get_bind().dialect.name == "postgresql"
    won: set[int] = set()
    for (old, new, next_at), ids in groups.items():
        # One array parameter on PostgreSQL; SQLite has no arrays.
        matches = Case.id == any_(bindparam("ids", ids, type_=ARRAY(BigInteger))) if postgresql else Case.id.in_(ids)
        won.update(
            _conditional_update(
                session, matches, old=old, new=new, next_at=Case.due_at if next_at == "deadline" else None
            )
        )
    for plan in retimed:
        won.update(
            _conditional_update(
                session, Case.id == plan.case.id, old=plan.case.level, new=plan.level, next_at=plan.next_at
            )
        )
    return won


def _conditional_update(session: Session, matches: Any, *, old: int, new: int, next_at: Any) -> list[int]:
    result = session.execute(
        update(Case)
        .where(matches, Case.escalation_level == old, Case.next_escalation_at.is_not(None))
        .values(escalation_level=new, next_escalation_at=next_at)
        .returning(Case.id)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars())


def _raise(session: Session, plans: list[_Plan], recipients: _Recipients) -> int:
    """The audit event and the notifications of every case raised (recipients first: no flush midway).

    A case found past more than one level at once (first seen already overdue, or the warning and the deadline
    in the same sweep) raises only its most urgent level: one event, and one "기한이 지났습니다" to everyone
    the skipped levels would have told as well, not twin notices in the same minute.
    """
    recipients.load_officers({p.case.officer_id for p in plans if p.case.officer_id is not None})
    notified = {
        p.case.id: list(dict.fromkeys(u for level in p.levels for u in recipients.for_level(p.case, level)))
        for p in plans
        if p.levels
    }
    raised = 0
    fanout = Fanout(session)
    events: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for plan in plans:
        case = plan.case
        if not plan.levels:
            continue
        level = plan.levels[-1]
        users = notified[case.id]
        events.append(
            event_values(
                actor=WORKER,
                action="case.escalated",
                org_id=case.org_id,
                case_id=case.id,
                before={"escalation_level": case.level},
                after={"escalation_level": level},
                details={"level": level, "due_at": case.due_at, "notified": users},
            )
        )
        text = _text(case, level, recipients.timezone(case.org_id))
        for user_id in users:
            # The same fan-out as every other staff notification (console, e-mail, messenger webhook).
            notifications.extend(
                fanout.items(
                    org_id=case.org_id,
                    user_id=user_id,
                    kind="overdue" if level == OVERDUE else "due_soon",
                    text=text,
                    # The due time is in the key: after an extension the new deadline escalates afresh.
                    key=f"escalation:{case.id}:{level}:{case.due_at.isoformat()}:{user_id}",
                    case_id=case.id,
                    case_number=case.number,
                    extra={"level": level},
                )
            )
        raised += 1
    record_many(session, events)
    enqueue_many(session, notifications)
    return raised


def _text(case: _Due, level: int, tz: ZoneInfo) -> str:
    due = case.due_at.astimezone(tz).strftime("%m/%d %H:%M")
    if level == OVERDUE:
        return translate("ko", "notify.overdue", number=case.number, due=due)
    return translate("ko", "notify.due_soon", number=case.number, due=due)


class _Recipients:
    """Who hears of an escalation, looked up once per organisation and department during a sweep."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._managers: dict[tuple[int, int], list[int]] = {}
        self._operators: dict[int, list[int]] = {}
        self._active: dict[int, bool] = {}
        self._timezones: dict[int, ZoneInfo] = {}

    def for_level(self, case: _Due, level: int) -> list[int]:
        """The officer for "due soon" (else managers, else operators); managers (else operators) for "overdue"."""
        if level == DUE_SOON and case.officer_id is not None and self._is_active(case.officer_id):
            return [case.officer_id]
        if case.department_id is not None:
            managers = self._department_managers(case.org_id, case.department_id)
            if managers:
                return managers
        # No department yet (still on the triage desk), or one without a manager: the centre hears of it.
        return self._org_operators(case.org_id)

    def load_officers(self, user_ids: set[int]) -> None:
        """Look up in one query whether these officers are still active (a batch's worth)."""
        missing = user_ids - self._active.keys()
        if missing:
            rows = self.session.execute(select(User.id, User.is_active).where(User.id.in_(missing)))
            self._active.update({row.id: row.is_active for row in rows})
            self._active.update({user_id: False for user_id in missing - self._active.keys()})

    def timezone(self, org_id: int) -> ZoneInfo:
        """The organisation's time zone, for the due time in the notification text."""
        if org_id not in self._timezones:
            name = self.session.scalar(select(Organisation.timezone).where(Organisation.id == org_id))
            self._timezones[org_id] = ZoneInfo(name or get_settings().timezone)
        return self._timezones[org_id]

    def _is_active(self, user_id: int) -> bool:
        if user_id not in self._active:
            self._active[user_id] = bool(self.session.scalar(select(User.is_active).where(User.id == user_id)))
        return self._active[user_id]

    def _department_managers(self, org_id: int, department_id: int) -> list[int]:
        key = (org_id, department_id)
        if key not in self._managers:
            self._managers[key] = self._users(
                User.org_id == org_id, User.department_id == department_id, User.role == Role.dept_manager
            )
        return self._managers[key]

    def _org_operators(self, org_id: int) -> list[int]:
        if org_id not in self._operators:
            self._operators[org_id] = self._users(User.org_id == org_id, User.role == Role.operator)
        return self._operators[org_id]

    def _users(self, *conditions: Any) -> list[int]:
        query = select(User.id).where(*conditions, User.is_active.is_(True)).order_by(User.id)
        return list(self.session.scalars(query))
