"""Retention as actions: an admin sets the organisation's periods; the purge removes what is past them.

The purge (`run`) goes organisation by organisation: log-in attempts naming its accounts, web-form submissions
that made its cases, raw webhook bodies it has taken in, and its finished cases' personal data (anonymised, not
deleted: cases/actions/privacy.py). Rows that belong to no organisation (log-in attempts for names that are no
account, spam refused by the web form) follow the defaults. Every batch is its own short transaction, so a purge
of a year's backlog holds no lock for long; each organisation's run is one audit event with the counts (never
the contents), and the run itself a `retention_runs` row. Open cases and events not yet taken in are never read
by any of it.

The worker's pass (`purge_due`) runs this at most once an hour across all workers: the hour is a unique key of
`retention_runs`, so whichever worker inserts it runs it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sotong.actors import WORKER, Actor, Role, require_role, same_org
from sotong.audit.service import record
from sotong.cases.actions import privacy
from sotong.channels.intake.events import purge_taken_in
from sotong.channels.webform.service import purge_submissions
from sotong.db import atomic, utcnow
from sotong.errors import InvalidInput
from sotong.notes.actions import mask_case_notes
from sotong.orgs.auth import purge_login_attempts
from sotong.orgs.models import Organisation
from sotong.orgs.service import organisation
from sotong.retention.models import RetentionPolicy, RetentionRun
from sotong.retention.policy import DEFAULTS, PERIODS, Periods, periods_of

log = logging.getLogger(__name__)

BATCH = 500
CASE_BATCH = 100  # masking runs the name finder over every text: smaller batches, shorter transactions
KINDS = ("login_attempts", "webform_submissions", "inbound_events", "cases_anonymised")


def set_periods(session: Session, *, actor: Actor, org_id: int, periods: dict[str, int]) -> Periods:
    """Set the organisation's retention periods (days), each within its bounds (retention/policy.py PERIODS)."""
    for name, period in PERIODS.items():
        value = periods.get(name)
        if value is None or not period.minimum <= value <= period.maximum:
            raise InvalidInput(f"{name} must be {period.minimum}-{period.maximum} days", field=name)
    with atomic(session):
        org = organisation(session, org_id)
        same_org(actor, org.id)
        require_role(actor, Role.admin, what="change the retention periods")
        before = periods_of(session, org.id).as_dict()
        row = session.get(RetentionPolicy, org.id, with_for_update=True)
        if row is None:
            row = RetentionPolicy(org_id=org.id)
            session.add(row)
        for name in PERIODS:
            setattr(row, name, periods[name])
        row.updated_at = utcnow()
        record(
            session,
            actor=actor,
            action="retention.periods_changed",
            org_id=org.id,
            before=before,
            after={name: periods[name] for name in PERIODS},
        )
    return periods_of(session, org.id)


@dataclass
class Report:
    """What a run removed (or, dry, would remove): counts per organisation slug and kind; "" is no organisation."""

    dry_run: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, org: str, kind: str, n: int) -> None:
        per = self.counts.setdefault(org, dict.fromkeys(KINDS, 0))
        per[kind] += n

    @property
    def total(self) -> int:
        return sum(sum(per.values()) for per in self.counts.values())


def _batches(session: Session, purge: Callable[[int], int]) -> int:
    """Call `purge(limit)` in its own transaction until it removes less than a batch; the total removed."""
    total = 0
    while True:
        with atomic(session):
            n = purge(BATCH)
        total += n
        if n < BATCH:
            return total


def _purge_org(session: Session, org: Organisation, *, now: dt.datetime, dry_run: bool, report: Report) -> None:
    periods = periods_of(session, org.id)

    def before(days: int) -> dt.datetime:
        return now - dt.timedelta(days=days)

    steps: list[tuple[str, Callable[..., int]]] = [
        (
            "login_attempts",
            lambda limit, dry=False: purge_login_attempts(
                session, before=before(periods.login_attempt_days), org_id=org.id, limit=limit, dry_run=dry
            ),
        ),
        (
            "webform_submissions",
            lambda limit, dry=False: purge_submissions(
                session, before=before(periods.webform_submission_days), org_id=org.id, limit=limit, dry_run=dry
            ),
        ),
        (
            "inbound_events",
            lambda limit, dry=False: purge_taken_in(
                session, before=before(periods.inbound_event_days), org_id=org.id, limit=limit, dry_run=dry
            ),
        ),
    ]
    for kind, purge in steps:
        report.add(org.slug, kind, purge(0, True) if dry_run else _batches(session, purge))

    closed_before = before(periods.closed_case_days)
    if dry_run:
        report.add(
            org.slug,
            "cases_anonymised",
            privacy.due_for_anonymising(session, org_id=org.id, closed_before=closed_before),
        )
    else:
        while True:
            with atomic(session):
                done = privacy.anonymise_finished(
                    session, actor=WORKER, org_id=org.id, closed_before=closed_before, limit=CASE_BATCH
                )
                mask_case_notes(session, case_ids=done.case_ids)
            privacy.remove_files(done.orphaned_files)
            report.add(org.slug, "cases_anonymised", len(done.case_ids))
            if len(done.case_ids) < CASE_BATCH:
                break

    counts = report.counts.get(org.slug, {})
    if not dry_run and any(counts.values()):
        with atomic(session):
            record(
                session,
                actor=WORKER,
                action="retention.purged",
                org_id=org.id,
                details={**counts, "periods": periods.as_dict()},
            )


def _purge_unowned(session: Session, *, now: dt.datetime, dry_run: bool, report: Report) -> None:
    """Rows of no organisation, by the default periods."""
    logins = now - dt.timedelta(days=DEFAULTS.login_attempt_days)
    forms = now - dt.timedelta(days=DEFAULTS.webform_submission_days)

    def login_purge(limit: int, dry: bool = False) -> int:
        return purge_login_attempts(session, before=logins, org_id=None, limit=limit, dry_run=dry)

    def form_purge(limit: int, dry: bool = False) -> int:
        return purge_submissions(session, before=forms, org_id=None, limit=limit, dry_run=dry)

    report.add("", "login_attempts", login_purge(0, True) if dry_run else _batches(session, login_purge))
    report.add("", "webform_submissions", form_purge(0, True) if dry_run else _batches(session, form_purge))
    counts = report.counts[""]
    if not dry_run and any(counts.values()):
        with atomic(session):
            record(session, actor=WORKER, action="retention.purged", org_id=None, details=dict(counts))


def run(session: Session, *, now: dt.datetime | None = None, dry_run: bool = False) -> Report:
    """One purge of every organisation (or, with `dry_run`, the counts it would remove, changing nothing)."""
    now = now or utcnow()
    report = Report(dry_run=dry_run)
    for org in list(session.scalars(select(Organisation).order_by(Organisation.id))):
        _purge_org(session, org, now=now, dry_run=dry_run, report=report)
    _purge_unowned(session, now=now, dry_run=dry_run, report=report)
    return report


def _claim(session: Session, slot: str, now: dt.datetime) -> RetentionRun | None:
    """This hour's run, if this worker is the one to do it."""
    if session.scalar(select(RetentionRun.id).where(RetentionRun.slot == slot)) is not None:
        return None  # the usual case: one indexed read per worker pass
    try:
        with atomic(session):
            claimed = RetentionRun(slot=slot, started_at=now, dry_run=False, counts={})
            session.add(claimed)
    except IntegrityError:
        return None  # another worker inserted the same hour first
    return claimed


def record_run(session: Session, report: Report, *, started_at: dt.datetime, slot: str | None = None) -> RetentionRun:
    """Log a run from the command line (`sotong retention run`); the worker's runs log themselves."""
    with atomic(session):
        row = RetentionRun(
            slot=slot, started_at=started_at, finished_at=utcnow(), dry_run=report.dry_run, counts=report.counts
        )
        session.add(row)
    return row


def purge_due(session_factory: Callable[[], Session], *, now: dt.datetime | None = None) -> int:
    """The worker's pass: this hour's purge, if no worker has run it yet; how many rows it removed or anonymised."""
    now = now or utcnow()
    with session_factory() as session:
        claimed = _claim(session, now.strftime("%Y-%m-%dT%H"), now)
        if claimed is None:
            return 0
        report = run(session, now=now)
        with atomic(session):
            claimed.finished_at = utcnow()
            claimed.counts = report.counts
        if report.total:
            log.info("retention: %d rows removed or anonymised", report.total, extra={"counts": report.counts})
        return report.total
