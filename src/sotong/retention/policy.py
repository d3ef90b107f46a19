"""Retention periods: the defaults, the bounds an admin may choose within, and an organisation's periods.

The reasoning behind each default is in docs/privacy.md *Retention*; in short:
- log-in attempts 90 days: the log-in throttle remembers for 90 days the addresses an account logged in from
  (orgs/auth.py KNOWN_ADDRESS_DAYS), so it is also the shortest period allowed;
- web-form submissions 30 days: the form's limits read the last day (an address's hourly count, repeated text);
  after that the rows only say that someone sent something;
- raw inbound events 30 days after they were taken in: long enough to replay a bad day's webhooks, and only
  events taken in (`done`) are ever removed; pending and failed ones wait for their take-in however old;
- closed cases' personal data 3 years after closing (1,095 days): the case itself is kept, masked (see
  cases/actions/privacy.py). An organisation sets the period its own records schedule (기록관리기준표) prescribes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from sotong.retention.models import RetentionPolicy


@dataclass(frozen=True)
class Period:
    default: int
    minimum: int
    maximum: int


PERIODS: dict[str, Period] = {
    "login_attempt_days": Period(default=90, minimum=90, maximum=3650),
    "webform_submission_days": Period(default=30, minimum=2, maximum=3650),
    "inbound_event_days": Period(default=30, minimum=1, maximum=3650),
    "closed_case_days": Period(default=1095, minimum=30, maximum=36500),
}


@dataclass(frozen=True)
class Periods:
    """An organisation's periods in days (or the defaults)."""

    login_attempt_days: int
    webform_submission_days: int
    inbound_event_days: int
    closed_case_days: int
    customised: bool = False

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in PERIODS}


DEFAULTS = Periods(**{name: period.default for name, period in PERIODS.items()})  # type: ignore[arg-type]


def periods_of(session: Session, org_id: int) -> Periods:
    """The organisation's periods: its own where an admin set them, the defaults otherwise."""
    row = session.get(RetentionPolicy, org_id)
    if row is None:
        return DEFAULTS
    return Periods(**{name: getattr(row, name) for name in PERIODS}, customised=True)
