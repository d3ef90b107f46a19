"""The retention purge (issue 20 item 7): what is past its period goes, in batches; what is not, and open cases
and events not yet taken in, are never touched; closed cases lose their personal data and keep their statistics,
and still render for staff and the public; every run is audited with counts only."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.audit.models import AuditEvent
from sotong.cases import actions as case_actions
from sotong.cases.models import Case, CaseStatus, Message
from sotong.channels.intake.events import EventStatus, InboundEvent, event_row
from sotong.channels.webform.models import WebformSubmission
from sotong.db import atomic
from sotong.orgs.models import LoginAttempt
from sotong.retention import actions as retention
from sotong.retention.models import RetentionRun
from tests.factories import World, case_in_status, new_case
from tests.web.conftest import login

NOW = dt.datetime(2027, 3, 2, 10, 30, tzinfo=dt.UTC)
PHONE = "010-2345-6789"
TEXT = f"석촌호수 앞 보도블럭이 깨졌습니다. 연락처 {PHONE} 입니다."


def _ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _login_attempts(session: Session, world: World) -> None:
    with atomic(session):
        for username, days in (
            (world.officer.username, 100),  # an account of Songpa, past 90 days
            (world.officer.username, 10),
            ("nobody-at-all", 100),  # no account: the default period
            (world.seoul_operator.username, 100),  # Seoul's
        ):
            session.add(LoginAttempt(username=username, ip="203.0.113.5", succeeded=False, at=_ago(days)))


def _events(session: Session, world: World) -> dict[str, int]:
    ids = {}
    with atomic(session):
        for name, status, days in (
            ("old_done", EventStatus.done, 40),
            ("new_done", EventStatus.done, 5),
            ("old_pending", EventStatus.pending, 400),
            ("old_failed", EventStatus.failed, 400),
        ):
            row = event_row(account_id=world.x_account.id, org_id=world.songpa.id, channel="x", body=name.encode())
            event = InboundEvent(**row)
            event.status, event.received_at = status, _ago(days)
            event.processed_at = _ago(days) if status is EventStatus.done else None
            session.add(event)
            session.flush()
            ids[name] = event.id
    return ids


def _submissions(session: Session, case: Case) -> None:
    with atomic(session):
        for case_id, days in ((case.id, 40), (case.id, 1), (None, 40)):
            session.add(
                WebformSubmission(
                    address_hash="a" * 64, text_hash="b" * 64, outcome="accepted", case_id=case_id, at=_ago(days)
                )
            )


def _closed_long_ago(session: Session, world: World, days: int = 1200) -> Case:
    case = case_in_status(session, world, CaseStatus.answered)
    case_actions.close(session, actor=world.actor(world.operator), case_id=case.id)
    with atomic(session):
        session.execute(update(Case).where(Case.id == case.id).values(closed_at=_ago(days)))
        session.execute(
            update(Message).where(Message.case_id == case.id).values(text=TEXT, author_name="김민수", raw={"x": PHONE})
        )
        session.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(body=TEXT, contact={"phone": PHONE}, author_handle="@citizen_kim", latitude=37.5098765)
        )
    return case


def test_rows_past_their_period_go_and_the_rest_stay(session: Session, world: World) -> None:
    _login_attempts(session, world)
    events = _events(session, world)
    _submissions(session, new_case(session, world))

    report = retention.run(session, now=NOW)

    assert report.counts["songpa"]["login_attempts"] == 1
    assert report.counts["seoul"]["login_attempts"] == 1
    assert report.counts[""] == {
        "login_attempts": 1,
        "webform_submissions": 1,
        "inbound_events": 0,
        "cases_anonymised": 0,
    }
    left = {(a.username, (NOW - a.at).days) for a in session.scalars(select(LoginAttempt))}
    assert left == {(world.officer.username, 10)}
    remaining = set(session.scalars(select(InboundEvent.id)))
    assert remaining == {events["new_done"], events["old_pending"], events["old_failed"]}
    assert [(NOW - s.at).days for s in session.scalars(select(WebformSubmission))] == [1]


def test_open_cases_are_never_touched_however_old(session: Session, world: World) -> None:
    open_case = case_in_status(session, world, CaseStatus.in_progress)
    answered = case_in_status(session, world, CaseStatus.answered)
    with atomic(session):
        session.execute(
            update(Case)
            .where(Case.id.in_([open_case.id, answered.id]))
            .values(body=TEXT, received_at=_ago(5000), updated_at=_ago(5000), contact={"phone": PHONE})
        )
    retention.run(session, now=NOW)
    session.expire_all()
    for case in (open_case, answered):
        row = session.get(Case, case.id)
        assert row is not None
        assert (row.body, row.contact, row.anonymised_at) == (TEXT, {"phone": PHONE}, None)


def test_a_closed_case_past_its_period_keeps_its_statistics_and_loses_its_personal_data(
    session: Session, world: World, client: TestClient
) -> None:
    case = _closed_long_ago(session, world)
    recent = _closed_long_ago(session, world, days=100)
    before = session.get(Case, case.id)
    assert before is not None
    kept = (before.number, before.status, before.category_id, before.department_id, before.received_at, before.due_at)
    public_before = client.get(f"/cases/{case.number}").status_code

    report = retention.run(session, now=NOW)

    assert report.counts["songpa"]["cases_anonymised"] == 1
    session.expire_all()
    row = session.get(Case, case.id)
    assert row is not None
    assert (row.number, row.status, row.category_id, row.department_id, row.received_at, row.due_at) == kept
    assert row.contact == {} and row.author_handle is None and row.citizen_token is None
    assert PHONE not in row.body and "석촌호수" in row.body
    assert row.latitude == 37.51
    assert row.anonymised_at is not None
    for message in row.messages:
        assert PHONE not in message.text and message.author_name is None and message.raw == {}
    untouched = session.get(Case, recent.id)
    assert untouched is not None and untouched.anonymised_at is None and PHONE in untouched.body

    events = list(
        session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "case.anonymised"))
    )
    assert len(events) == 1
    purged = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "retention.purged", AuditEvent.org_id == world.songpa.id)
    ).one()
    assert purged.details["cases_anonymised"] == 1
    assert PHONE not in str(purged.details)

    # Both audiences still see the case: staff with its masked text and the event, the public as before.
    assert client.get(f"/cases/{case.number}").status_code == public_before
    login(client, world.operator)
    staff = client.get(f"/staff/cases/{case.number}")
    assert staff.status_code == 200
    assert PHONE not in staff.text and "개인정보 파기" in staff.text

    # A second run finds nothing more to do.
    assert retention.run(session, now=NOW).counts["songpa"]["cases_anonymised"] == 0


def test_a_dry_run_counts_and_changes_nothing(session: Session, world: World) -> None:
    _login_attempts(session, world)
    _events(session, world)
    case = _closed_long_ago(session, world)
    attempts, events = _count(session, LoginAttempt), _count(session, InboundEvent)

    report = retention.run(session, now=NOW, dry_run=True)

    assert report.counts["songpa"]["login_attempts"] == 1
    assert report.counts["songpa"]["inbound_events"] == 1
    assert report.counts["songpa"]["cases_anonymised"] == 1
    session.expire_all()
    assert (_count(session, LoginAttempt), _count(session, InboundEvent)) == (attempts, events)
    assert session.get(Case, case.id).anonymised_at is None  # type: ignore[union-attr]
    assert session.scalar(select(func.count()).where(AuditEvent.action.startswith("retention."))) == 0


def test_an_organisations_own_periods_apply_to_it_only(session: Session, world: World) -> None:
    _login_attempts(session, world)
    _events(session, world)
    retention.set_periods(
        session,
        actor=world.actor(world.admin),
        org_id=world.songpa.id,
        periods={
            "login_attempt_days": 365,
            "webform_submission_days": 30,
            "inbound_event_days": 60,
            "closed_case_days": 1095,
        },
    )
    report = retention.run(session, now=NOW)
    assert report.counts["songpa"]["login_attempts"] == 0
    assert report.counts["songpa"]["inbound_events"] == 0
    assert report.counts["seoul"]["login_attempts"] == 1


def test_periods_outside_their_bounds_are_refused(session: Session, world: World) -> None:
    from sotong.errors import InvalidInput, PermissionDenied

    good = {"login_attempt_days": 90, "webform_submission_days": 30, "inbound_event_days": 30, "closed_case_days": 1095}
    with pytest.raises(InvalidInput, match="login_attempt_days must be 90-3650 days"):
        retention.set_periods(session, actor=CLI, org_id=world.songpa.id, periods={**good, "login_attempt_days": 30})
    with pytest.raises(PermissionDenied):
        retention.set_periods(session, actor=world.actor(world.operator), org_id=world.songpa.id, periods=good)


def test_the_worker_pass_runs_once_an_hour_whichever_worker_asks(
    session: Session, world: World, engine: object
) -> None:
    from sotong.db import session_factory

    _login_attempts(session, world)
    factory = session_factory(engine)  # type: ignore[arg-type]
    assert retention.purge_due(factory, now=NOW) == 3
    _login_attempts(session, world)
    assert retention.purge_due(factory, now=NOW + dt.timedelta(minutes=20)) == 0  # this hour's run is done
    assert retention.purge_due(factory, now=NOW + dt.timedelta(hours=1)) == 3
    runs = list(session.scalars(select(RetentionRun).order_by(RetentionRun.id)))
    assert [r.slot for r in runs] == ["2027-03-02T10", "2027-03-02T11"]
    assert all(r.finished_at is not None for r in runs)
    assert runs[0].counts["songpa"]["login_attempts"] == 1
