"""Who may do what: roles, departments, and organisations that never see each other's cases."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from sotong.actors import can_see_case
from sotong.cases import actions
from sotong.cases.models import CaseStatus, ComplaintType, PeriodUnit, RejectReason
from sotong.errors import NotFound, PermissionDenied
from tests.factories import World, case_in_status, new_case


def test_viewer_cannot_change_anything(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)
    viewer = world.actor(world.viewer)
    assert can_see_case(viewer, org_id=case.org_id, department_id=case.department_id)
    with pytest.raises(PermissionDenied):
        actions.answer(session, actor=viewer, case_id=case.id, body="답변")
    with pytest.raises(PermissionDenied):
        actions.hold(session, actor=viewer, case_id=case.id, reason="x")
    with pytest.raises(PermissionDenied):
        actions.extend(session, actor=viewer, case_id=case.id, value=1, unit=PeriodUnit.days, reason="x")


def test_officer_of_another_department_cannot_see_the_case(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)  # 도로과
    other = world.actor(world.cleaning_officer)
    assert not can_see_case(other, org_id=case.org_id, department_id=case.department_id)
    with pytest.raises(NotFound):
        actions.answer(session, actor=other, case_id=case.id, body="답변")


def test_only_the_desk_triages_and_hides(session: Session, world: World) -> None:
    case = new_case(session, world)
    case.department_id = world.roads.id  # received on the roads account
    session.commit()
    with pytest.raises(PermissionDenied):
        actions.triage(session, actor=world.actor(world.officer), case_id=case.id, complaint_type=ComplaintType.other)
    with pytest.raises(PermissionDenied):
        actions.reject(session, actor=world.actor(world.manager), case_id=case.id, reason=RejectReason.spam)


@pytest.mark.parametrize(
    "status", [CaseStatus.received, CaseStatus.triaged, CaseStatus.in_progress, CaseStatus.answered]
)
def test_another_organisations_staff_never_see_the_case(session: Session, world: World, status: CaseStatus) -> None:
    case = case_in_status(session, world, status)
    seoul = world.actor(world.seoul_operator)
    assert not can_see_case(seoul, org_id=case.org_id, department_id=case.department_id)
    for attempt in (
        lambda: actions.triage(session, actor=seoul, case_id=case.id, complaint_type=ComplaintType.other),
        lambda: actions.answer(session, actor=seoul, case_id=case.id, body="x"),
        lambda: actions.close(session, actor=seoul, case_id=case.id),
        lambda: actions.reject(session, actor=seoul, case_id=case.id, reason=RejectReason.spam),
    ):
        with pytest.raises(NotFound):
            attempt()
    session.refresh(case)
    assert case.status is status


def test_officer_cannot_transfer_to_another_organisation(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)
    with pytest.raises(PermissionDenied):
        actions.transfer_to_organisation(
            session, actor=world.actor(world.officer), case_id=case.id, target_org_id=world.seoul.id, reason="x"
        )
