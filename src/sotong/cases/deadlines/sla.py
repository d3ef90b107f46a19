"""Statutory deadlines (민원 처리기간) on an organisation's business calendar, and SLA policy matching.

The rules (민원 처리에 관한 법률 §19, see docs/deadlines.md):
- a period of 5 days or less is counted in working hours from receipt, 8 working hours a day;
- a period of 6 days or more is counted in working days, the day of receipt included;
- Saturdays, Sundays, public holidays (substitute and election days included) and the organisation's own
  closure days are excluded either way.
A complaint received outside business hours is treated as received when business next opens.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import event, select
from sqlalchemy.orm import Session, UOWTransaction

from sotong.cases.deadlines.models import ClosureDay, SlaPolicy
from sotong.cases.models import ComplaintType, PeriodUnit
from sotong.errors import DeadlineError
from sotong.orgs.models import Channel, Organisation

WORKING_HOURS_PER_DAY = 8  # the statute's conversion, whatever the organisation's opening hours are
HOURS_COUNTING_MAX_DAYS = 5
# Beyond this we stop looking for working time: a calendar with none in three years is a configuration error.
SEARCH_HORIZON_DAYS = 3 * 366
DEFAULT_FIRST_RESPONSE_MINUTES = 60
# How long a process trusts its copy of an organisation's SLA policies and closure days. A change made in this
# process clears the copy at once (the flush listener below); one made by another process (the admin page in the
# web server, read by the worker) applies to cases received from at most this long after it.
RULES_TTL_SECONDS = 10.0

STATUTORY_PERIODS: dict[ComplaintType, tuple[int, PeriodUnit]] = {
    ComplaintType.other: (3, PeriodUnit.hours),  # 즉시: within 3 working hours
    ComplaintType.opinion: (3, PeriodUnit.hours),
    ComplaintType.inquiry: (7, PeriodUnit.days),
    ComplaintType.inquiry_law: (14, PeriodUnit.days),
    ComplaintType.suggestion: (14, PeriodUnit.days),
    ComplaintType.grievance: (7, PeriodUnit.days),
}


@lru_cache(maxsize=64)
def korean_public_holidays(year: int) -> frozenset[dt.date]:
    """Korean public holidays of `year`, substitute and election days included (the `holidays` package)."""
    return frozenset(holidays.country_holidays("KR", years=year).keys())


@dataclass(frozen=True)
class BusinessCalendar:
    """Working intervals of a day, in the organisation's time zone, and the days that are not worked."""

    tz: ZoneInfo
    intervals: tuple[tuple[dt.time, dt.time], ...]
    closure_days: frozenset[dt.date] = frozenset()

    @classmethod
    def from_hours(
        cls,
        *,
        work_start: dt.time = dt.time(9, 0),
        work_end: dt.time = dt.time(18, 0),
        lunch_start: dt.time | None = dt.time(12, 0),
        lunch_end: dt.time | None = dt.time(13, 0),
        timezone: str = "Asia/Seoul",
        closure_days: frozenset[dt.date] = frozenset(),
    ) -> BusinessCalendar:
        """A calendar from opening hours with an optional lunch break."""
        if work_start >= work_end:
            raise DeadlineError("business hours must end after they start")
        intervals: tuple[tuple[dt.time, dt.time], ...] = ((work_start, work_end),)
        if lunch_start is not None and lunch_end is not None and work_start <= lunch_start < lunch_end <= work_end:
            # A break may touch opening or closing time (the admin pages allow it): the office then opens late or
            # closes early, and no empty interval is kept.
            intervals = tuple(
                (begin, end) for begin, end in ((work_start, lunch_start), (lunch_end, work_end)) if begin < end
            )
        return cls(tz=ZoneInfo(timezone), intervals=intervals, closure_days=closure_days)

    def is_working_day(self, day: dt.date) -> bool:
        """Monday to Friday, not a public holiday, not a closure day."""
        return day.weekday() < 5 and day not in korean_public_holidays(day.year) and day not in self.closure_days

    def _bounds(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        return [
            (dt.datetime.combine(day, start, self.tz), dt.datetime.combine(day, end, self.tz))
            for start, end in self.intervals
        ]

    def next_working_moment(self, moment: dt.datetime) -> dt.datetime:
        """`moment` if it falls in working time, else when work next starts."""
        local = moment.astimezone(self.tz)
        day = local.date()
        for _ in range(SEARCH_HORIZON_DAYS):
            if self.is_working_day(day):
                for start, end in self._bounds(day):
                    if local < end:
                        return max(local, start).astimezone(dt.UTC)
            day += dt.timedelta(days=1)
        raise DeadlineError("the business calendar has no working time in the next three years")

    def add_working_minutes(self, start: dt.datetime, minutes: int) -> dt.datetime:
        """The moment `minutes` of working time after `start` (counting only business hours)."""
        if minutes < 0:
            raise DeadlineError("a period cannot be negative")
        local = start.astimezone(self.tz)
        remaining = dt.timedelta(minutes=minutes)
        day = local.date()
        for _ in range(SEARCH_HORIZON_DAYS):
            if self.is_working_day(day):
                for interval_start, interval_end in self._bounds(day):
                    if local >= interval_end:
                        continue
                    begin = max(local, interval_start)
                    available = interval_end - begin
                    if remaining <= available:
                        return (begin + remaining).astimezone(dt.UTC)
                    remaining -= available
            day += dt.timedelta(days=1)
            local = dt.datetime.combine(day, dt.time(0), self.tz)
        raise DeadlineError("the business calendar has no working time in the next three years")

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """Close of business on the `days`-th working day, the day of (effective) receipt counting as the first."""
        if days <= 0:
            raise DeadlineError("a period in days must be at least one day")
        first = self.next_working_moment(start).astimezone(self.tz).date()
        day, counted = first, 0
        for _ in range(SEARCH_HORIZON_DAYS):
            if self.is_working_day(day):
                counted += 1
                if counted == days:
                    return self._bounds(day)[-1][1].astimezone(dt.UTC)
            day += dt.timedelta(days=1)
        raise DeadlineError("the business calendar has no working time in the next three years")

    def working_minutes_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working minutes from `start` to `end` (0 if end is not later)."""
        if end <= start:
            return 0
        total = dt.timedelta()
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            if self.is_working_day(day):
                for interval_start, interval_end in self._bounds(day):
                    begin, finish = max(interval_start, start), min(interval_end, end)
                    if finish > begin:
                        total += finish - begin
            day += dt.timedelta(days=1)
        return int(total.total_seconds() // 60)


def calendar_for(session: Session, org: Organisation) -> BusinessCalendar:
    """The business calendar of an organisation: its hours and closure days plus the national holidays."""
    closures = frozenset(session.scalars(select(ClosureDay.day).where(ClosureDay.org_id == org.id)))
    return _calendar(org, closures)


def cached_calendar(session: Session, org: Organisation) -> BusinessCalendar:
    """`calendar_for` with the closure days from the process's short-lived copy (see RULES_TTL_SECONDS); the
    opening hours come from `org` itself, so they are always the ones the caller read."""
    return _calendar(org, org_rules(session, org.id).closure_days)


def _calendar(org: Organisation, closures: frozenset[dt.date]) -> BusinessCalendar:
    return BusinessCalendar.from_hours(
        work_start=org.work_start,
        work_end=org.work_end,
        lunch_start=org.lunch_start,
        lunch_end=org.lunch_end,
        timezone=org.timezone,
        closure_days=closures,
    )


def add_period(calendar: BusinessCalendar, start: dt.datetime, value: int, unit: PeriodUnit) -> dt.datetime:
    """Apply the statute's counting rule to a period of `value` `unit` starting at `start`."""
    if value <= 0:
        raise DeadlineError("a period must be positive")
    if unit is PeriodUnit.hours:
        return calendar.add_working_minutes(start, value * 60)
    if value <= HOURS_COUNTING_MAX_DAYS:
        return calendar.add_working_minutes(start, value * WORKING_HOURS_PER_DAY * 60)
    return calendar.add_working_days(start, value)


def period_in_working_hours(value: int, unit: PeriodUnit) -> int:
    """A period's length in working hours, to compare an extension with the original period."""
    return value if unit is PeriodUnit.hours else value * WORKING_HOURS_PER_DAY


@dataclass(frozen=True)
class Deadlines:
    period_value: int
    period_unit: PeriodUnit
    due_at: dt.datetime
    first_response_due_at: dt.datetime
    answer_target_at: dt.datetime | None
    sla_policy_id: int | None


@dataclass(frozen=True)
class PolicyRule:
    """A detached copy of an enabled `SlaPolicy`: what matching and `compute_deadlines` read, safe to share
    between sessions and threads."""

    id: int
    name: str
    channel: Channel | None
    category_id: int | None
    department_id: int | None
    complaint_type: str | None
    resolution_value: int | None
    resolution_unit: PeriodUnit | None
    first_response_minutes: int | None
    answer_target_minutes: int | None

    def matches(
        self,
        *,
        channel: Channel | None,
        category_id: int | None,
        department_id: int | None,
        complaint_type: ComplaintType,
    ) -> bool:
        """Whether every condition this policy sets holds for the case."""
        return (
            (self.channel is None or self.channel == channel)
            and (self.category_id is None or self.category_id == category_id)
            and (self.department_id is None or self.department_id == department_id)
            and (self.complaint_type is None or self.complaint_type == complaint_type.value)
        )


_RULE_COLUMNS = tuple(PolicyRule.__dataclass_fields__)


@dataclass(frozen=True)
class OrgRules:
    """An organisation's enabled policies in matching order, and its closure days."""

    policies: tuple[PolicyRule, ...]
    closure_days: frozenset[dt.date]


_rules: dict[int, tuple[float, OrgRules]] = {}
_rules_lock = threading.Lock()
_rules_generation = 0  # bumped by every clear: a copy read before a clear is not stored after it


def org_rules(session: Session, org_id: int) -> OrgRules:
    """The organisation's SLA policies and closure days, read at most every RULES_TTL_SECONDS per process.

    Intake computes deadlines for every new case; reading both tables each time was two round trips per case.
    """
    now = time.monotonic()
    with _rules_lock:
        cached = _rules.get(org_id)
        generation = _rules_generation
    if cached is not None and now - cached[0] < RULES_TTL_SECONDS:
        return cached[1]
    # Columns, not entities: a policy this session loaded earlier would come back from its identity map as it
    # was then, not as the row is now.
    policies = session.execute(
        select(*(getattr(SlaPolicy, name) for name in _RULE_COLUMNS))
        .where(SlaPolicy.org_id == org_id, SlaPolicy.enabled.is_(True))
        .order_by(SlaPolicy.priority, SlaPolicy.id)
    )
    rules = OrgRules(
        policies=tuple(PolicyRule(**row._asdict()) for row in policies),
        closure_days=frozenset(session.scalars(select(ClosureDay.day).where(ClosureDay.org_id == org_id))),
    )
    with _rules_lock:
        if generation == _rules_generation:
            _rules[org_id] = (now, rules)
    return rules


def forget_rules() -> None:
    """Drop every cached copy of policies and closure days (after a change, and between tests)."""
    global _rules_generation
    with _rules_lock:
        _rules.clear()
        _rules_generation += 1


def cached_policy(
    session: Session,
    *,
    org_id: int,
    channel: Channel | None,
    category_id: int | None,
    department_id: int | None,
    complaint_type: ComplaintType,
) -> PolicyRule | None:
    """The first enabled policy, by priority, whose every set condition matches the case (from the process's
    short-lived copy of the organisation's policies)."""
    for policy in org_rules(session, org_id).policies:
        if policy.matches(
            channel=channel, category_id=category_id, department_id=department_id, complaint_type=complaint_type
        ):
            return policy
    return None


_RULES_CHANGED = "sotong.sla_rules_changed"


@event.listens_for(Session, "after_flush")
def _rules_flushed(session: Session, _flush_context: UOWTransaction) -> None:
    # Cleared at the flush (this process's next reader sees the change as soon as it commits) and again at the
    # commit (a reader that filled the copy in between, from the old committed rows, is not believed). A new
    # organisation clears it too: a fresh database (tests, the demo) reuses organisation ids.
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, SlaPolicy | ClosureDay | Organisation):
            session.info[_RULES_CHANGED] = True
            forget_rules()
            return


@event.listens_for(Session, "after_commit")
def _rules_committed(session: Session) -> None:
    if session.info.pop(_RULES_CHANGED, False):
        forget_rules()


@event.listens_for(Session, "after_rollback")
def _rules_rolled_back(session: Session) -> None:
    session.info.pop(_RULES_CHANGED, None)


def compute_deadlines(
    *,
    calendar: BusinessCalendar,
    start: dt.datetime,
    complaint_type: ComplaintType,
    policy: SlaPolicy | PolicyRule | None,
) -> Deadlines:
    """Deadlines for a case whose clock starts at `start`; a policy's unset targets fall back to the statute."""
    value, unit = STATUTORY_PERIODS[complaint_type]
    first_response = DEFAULT_FIRST_RESPONSE_MINUTES
    answer_target: int | None = None
    if policy is not None:
        if policy.resolution_value is not None and policy.resolution_unit is not None:
            value, unit = policy.resolution_value, policy.resolution_unit
        first_response = policy.first_response_minutes or first_response
        answer_target = policy.answer_target_minutes
    if value <= 0:
        raise DeadlineError(f"policy {policy.name if policy else ''!r} has a period that cannot be met")
    return Deadlines(
        period_value=value,
        period_unit=unit,
        due_at=add_period(calendar, start, value, unit),
        first_response_due_at=calendar.add_working_minutes(start, first_response),
        answer_target_at=calendar.add_working_minutes(start, answer_target) if answer_target else None,
        sla_policy_id=policy.id if policy is not None else None,
    )


def extended_due(
    calendar: BusinessCalendar,
    *,
    current_due: dt.datetime,
    original_value: int,
    original_unit: PeriodUnit,
    value: int,
    unit: PeriodUnit,
) -> dt.datetime:
    """The new deadline after one extension of `value` `unit` (at most as long as the original period)."""
    if value <= 0:
        raise DeadlineError("an extension must be positive")
    if period_in_working_hours(value, unit) > period_in_working_hours(original_value, original_unit):
        raise DeadlineError(
            f"an extension may be at most as long as the original period ({original_value} {original_unit.value})"
        )
    return add_period(calendar, current_due, value, unit)


def next_escalation(*, level: int, due_at: dt.datetime, warning: dt.timedelta) -> tuple[int, dt.datetime | None]:
    """After escalation `level`, when the next one is due: warn the officer, then tell the manager."""
    if level <= 0:
        return 0, due_at - warning
    if level == 1:
        return 1, due_at
    return level, None
