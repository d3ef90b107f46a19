"""Automatic assignment: round-robin in turn, least-loaded, skipping off-duty and inactive officers, and
two PostgreSQL sessions routing at once never take the same turn."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CLI, Role
from sotong.audit.models import AuditEvent
from sotong.cases import actions, assignment
from sotong.cases.assignment import AssignmentPolicy
from sotong.cases.models import Case, CaseStatus, ComplaintType
from sotong.db import atomic, make_engine, session_factory
from sotong.errors import NotFound, PermissionDenied
from sotong.orgs import actions as org_actions
from sotong.orgs.models import User
from sotong.outbox.models import OutboxItem
from tests.factories import PASSWORD, World, build_world, case_in_status, new_case


def _policy(session: Session, world: World, policy: AssignmentPolicy, department_id: int | None = None) -> None:
    assignment.set_policy(
        session, actor=world.actor(world.admin), department_id=department_id or world.roads.id, policy=policy
    )


def _route(session: Session, world: World) -> Case:
    """A new case triaged to 도로과 by the operator (the category routes it)."""
    case = new_case(session, world)
    return actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=case.id,
        complaint_type=ComplaintType.grievance,
        category_id=world.pothole.id,
    )


def _officer(session: Session, world: World, name: str) -> User:
    return org_actions.create_user(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        username=name,
        password=PASSWORD,
        role=Role.officer,
        department_id=world.roads.id,
        display_name=name,
    )


def test_without_a_policy_nothing_is_assigned(session: Session, world: World) -> None:
    case = _route(session, world)
    assert case.status is CaseStatus.triaged
    assert case.officer_id is None


def test_round_robin_takes_turns_among_officers(session: Session, world: World) -> None:
    _policy(session, world, AssignmentPolicy.round_robin)
    got = [_route(session, world).officer_id for _ in range(4)]
    first, second = sorted([world.officer.id, world.officer2.id])
    assert got == [first, second, first, second]  # the manager (dept_manager) is not in the rotation


def test_round_robin_skips_off_duty_and_inactive_officers(session: Session, world: World) -> None:
    _policy(session, world, AssignmentPolicy.round_robin)
    third = _officer(session, world, "seo.officer")
    gone = _officer(session, world, "gone.officer")
    with atomic(session):
        session.get(User, gone.id).is_active = False  # type: ignore[union-attr]
    assignment.set_on_duty(session, actor=world.actor(world.officer), on_duty=False)
    got = Counter(_route(session, world).officer_id for _ in range(6))
    assert got == {world.officer2.id: 3, third.id: 3}
    # Back on duty: the turn comes round to them again.
    assignment.set_on_duty(session, actor=world.actor(world.officer), on_duty=True)
    got = Counter(_route(session, world).officer_id for _ in range(3))
    assert got == {world.officer.id: 1, world.officer2.id: 1, third.id: 1}


def test_nobody_on_duty_leaves_the_case_for_the_manager(session: Session, world: World) -> None:
    _policy(session, world, AssignmentPolicy.round_robin)
    for officer in (world.officer, world.officer2):
        assignment.set_on_duty(session, actor=world.actor(officer), on_duty=False)
    case = _route(session, world)
    assert (case.status, case.officer_id) == (CaseStatus.triaged, None)


def test_least_loaded_picks_the_officer_with_fewest_open_cases(session: Session, world: World) -> None:
    busy = [case_in_status(session, world, CaseStatus.assigned) for _ in range(2)]  # both to world.officer
    assert {c.officer_id for c in busy} == {world.officer.id}
    _policy(session, world, AssignmentPolicy.least_loaded)
    got = [_route(session, world).officer_id for _ in range(3)]
    # officer2 catches up to 2 open cases first; then the tie goes to the next in turn.
    assert got[:2] == [world.officer2.id, world.officer2.id]
    assert got[2] in (world.officer.id, world.officer2.id)
    loads = assignment.open_loads(session, [world.officer.id, world.officer2.id])
    assert abs(loads[world.officer.id] - loads[world.officer2.id]) <= 1


def test_closed_cases_do_not_count_as_load(session: Session, world: World) -> None:
    for _ in range(3):
        case_in_status(session, world, CaseStatus.closed)  # world.officer answered and closed these
    _policy(session, world, AssignmentPolicy.least_loaded)
    first, _second = sorted([world.officer.id, world.officer2.id])
    assert _route(session, world).officer_id == first  # equal load (0 open each): first in turn


def test_transfer_to_a_department_assigns_there_audited_as_system(session: Session, world: World) -> None:
    _policy(session, world, AssignmentPolicy.round_robin, department_id=world.cleaning.id)
    case = case_in_status(session, world, CaseStatus.assigned)
    case = actions.transfer_to_department(
        session, actor=world.actor(world.manager), case_id=case.id, department_id=world.cleaning.id, reason="청소"
    )
    assert (case.status, case.officer_id) == (CaseStatus.assigned, world.cleaning_officer.id)
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.case_id == case.id, AuditEvent.action == "case.assigned")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and event.actor_kind == "system" and "round_robin" in event.actor_label
    notified = session.scalars(
        select(OutboxItem.recipient).where(OutboxItem.case_id == case.id, OutboxItem.transport == "inapp")
    ).all()
    assert str(world.cleaning_officer.id) in notified


def test_who_may_set_the_policy(session: Session, world: World) -> None:
    with pytest.raises(PermissionDenied):
        assignment.set_policy(
            session, actor=world.actor(world.officer), department_id=world.roads.id, policy=AssignmentPolicy.round_robin
        )
    with pytest.raises(PermissionDenied):  # the roads manager, for another department
        assignment.set_policy(
            session,
            actor=world.actor(world.manager),
            department_id=world.cleaning.id,
            policy=AssignmentPolicy.round_robin,
        )
    with pytest.raises(NotFound):  # another organisation's department does not exist for Seoul's staff
        assignment.set_policy(
            session,
            actor=world.actor(world.seoul_operator),
            department_id=world.roads.id,
            policy=AssignmentPolicy.round_robin,
        )
    assignment.set_policy(
        session, actor=world.actor(world.manager), department_id=world.roads.id, policy=AssignmentPolicy.least_loaded
    )
    assert assignment.policy_of(session, world.roads.id) is AssignmentPolicy.least_loaded


def test_a_viewer_cannot_go_on_duty_and_officers_only_change_their_own(session: Session, world: World) -> None:
    with pytest.raises(PermissionDenied):
        assignment.set_on_duty(session, actor=world.actor(world.viewer), on_duty=True)
    with pytest.raises(PermissionDenied):
        assignment.set_on_duty(session, actor=world.actor(world.officer), on_duty=False, user_id=world.officer2.id)
    assignment.set_on_duty(session, actor=world.actor(world.manager), on_duty=False, user_id=world.officer2.id)
    session.refresh(world.officer2)
    assert world.officer2.on_duty is False


# --------------------------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg(pg_url: str) -> Iterator[tuple[str, World]]:
    engine = make_engine(pg_url)
    with session_factory(engine)() as s:
        world = build_world(s)
        assignment.set_policy(
            s, actor=world.actor(world.admin), department_id=world.roads.id, policy=AssignmentPolicy.least_loaded
        )
        yield pg_url, world
    engine.dispose()


@pytest.mark.postgres_only
def test_a_second_session_waits_for_the_first_pick_and_sees_it(pg: tuple[str, World]) -> None:
    """Least-loaded is where double-picking hurts: both sessions would count the same loads. The second one
    blocks on the department row until the first commits, then counts the first's case and picks the other."""
    url, world = pg
    engine = make_engine(url)
    factory = session_factory(engine)
    with factory() as setup:
        cases = [new_case(setup, world).id for _ in range(2)]
    first = factory()
    picked: dict[str, int | None] = {}
    with atomic(first):
        case = first.get(Case, cases[0])
        assert case is not None
        picked["first"] = assignment.pick_officer(first, department_id=world.roads.id)
        case.officer_id, case.status = picked["first"], CaseStatus.assigned

        def second_session() -> None:
            with factory() as second, atomic(second):
                picked["second"] = assignment.pick_officer(second, department_id=world.roads.id)

        thread = threading.Thread(target=second_session)
        thread.start()
        thread.join(timeout=1.0)
        assert thread.is_alive(), "the second pick must wait for the first transaction"
    thread.join(timeout=30)
    assert not thread.is_alive()
    first.close()
    assert {picked["first"], picked["second"]} == {world.officer.id, world.officer2.id}
    engine.dispose()


@pytest.mark.postgres_only
def test_two_sessions_routing_at_once_share_the_cases_evenly(pg: tuple[str, World]) -> None:
    url, world = pg
    engine = make_engine(url)
    factory = session_factory(engine)
    with factory() as setup:
        assignment.set_policy(
            setup, actor=world.actor(world.admin), department_id=world.roads.id, policy=AssignmentPolicy.round_robin
        )
        ids = [new_case(setup, world).id for _ in range(20)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def route(mine: list[int]) -> None:
        try:
            with factory() as s:
                barrier.wait()
                for case_id in mine:
                    actions.triage(
                        s,
                        actor=world.actor(world.operator),
                        case_id=case_id,
                        complaint_type=ComplaintType.grievance,
                        category_id=world.pothole.id,
                    )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=route, args=(ids[n::2],)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with factory() as check:
        officers = check.scalars(select(Case.officer_id).where(Case.id.in_(ids))).all()
    assert Counter(officers) == {world.officer.id: 10, world.officer2.id: 10}
    engine.dispose()
