"""공개 검토: nothing is public before release; release, correction, hiding and the citizen's 비공개 are one audited
action each, and only the people who may take them can."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases import actions, service
from sotong.cases.actions import publication
from sotong.cases.models import Case, CaseStatus, ComplaintType
from sotong.errors import IllegalTransition, NotFound, PermissionDenied
from sotong.orgs import actions as org_actions
from tests.factories import World, case_in_status, new_case

LAMP = "석촌호수로 가로등이 고장났어요. 제 번호는 010-1234-5678입니다"


def _events(session: Session, case: Case) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
    return list(session.scalars(query))


def _listed(session: Session, case: Case) -> bool:
    return session.scalar(service.publicly_listed().where(Case.id == case.id)) is not None


def test_a_new_case_waits_for_review_and_an_operator_releases_it(session: Session, world: World) -> None:
    case = new_case(session, world, text=LAMP)
    assert case.released_at is None and not _listed(session, case)
    assert service.publication_state(case) == "review"
    waiting, total = service.awaiting_release(session, actor=world.actor(world.operator))
    assert [c.number for c in waiting] == [case.number] and total == 1

    released = actions.release(
        session,
        actor=world.actor(world.operator),
        case_id=case.id,
        public_title="가로등 고장 010-1234-5678",
        public_text="석촌호수로 가로등이 고장났어요. 연락처 010-1234-5678",
    )
    assert released.released_at is not None and _listed(session, released)
    assert "010-1234-5678" not in (released.public_text or "") and "[전화번호]" in (released.public_text or "")
    assert released.public_title is not None and "010-1234-5678" not in released.public_title  # masked too
    assert "case.released" in _events(session, case)
    assert service.awaiting_release(session, actor=world.actor(world.operator))[1] == 0


def test_only_operators_release_and_see_the_review_list(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)
    with pytest.raises(PermissionDenied):
        actions.release(session, actor=world.actor(world.officer), case_id=case.id)
    with pytest.raises(PermissionDenied):
        service.awaiting_release(session, actor=world.actor(world.officer))
    with pytest.raises(NotFound):  # another organisation's case does not exist for Seoul's operator
        actions.release(session, actor=world.actor(world.seoul_operator), case_id=case.id)
    assert not _listed(session, case)


def test_whistleblower_and_citizen_private_cases_are_never_released(session: Session, world: World) -> None:
    op = world.actor(world.operator)
    whistle = new_case(session, world, text=LAMP)
    actions.triage(session, actor=op, case_id=whistle.id, complaint_type=ComplaintType.other, is_whistleblower=True)
    with pytest.raises(IllegalTransition):
        actions.release(session, actor=op, case_id=whistle.id)
    private = new_case(session, world, text=LAMP)
    assert private.citizen_token is not None
    with pytest.raises(NotFound):
        actions.make_private_by_citizen(session, case_number=private.number, token="not-the-token")
    actions.make_private_by_citizen(session, case_number=private.number, token=private.citizen_token)
    with pytest.raises(IllegalTransition):
        actions.release(session, actor=op, case_id=private.id)
    assert service.publication_state(private) == "citizen_private"
    assert "case.made_private" in _events(session, private)
    assert service.awaiting_release(session, actor=op)[1] == 0


def test_the_citizen_takes_a_published_case_back_at_once(session: Session, world: World) -> None:
    case = new_case(session, world, text=LAMP)
    actions.release(session, actor=world.actor(world.operator), case_id=case.id)
    assert _listed(session, case)
    assert case.citizen_token is not None
    actions.make_private_by_citizen(session, case_number=case.number, token=case.citizen_token)
    assert not _listed(session, case) and case.released_at is None


def test_the_department_corrects_the_public_version_at_any_status(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.closed)  # answered and closed by 도로과
    actions.release(session, actor=world.actor(world.operator), case_id=case.id)
    answer = case.answers[-1]
    edited = actions.edit_public(
        session,
        actor=world.actor(world.officer),
        case_id=case.id,
        public_text="가로등 고장 신고 (김철수님 010-2222-3333)",
        public_title="가로등 고장",
    )
    assert "김철수" not in (edited.public_text or "") and "010-2222-3333" not in (edited.public_text or "")
    assert edited.public_title == "가로등 고장"
    actions.edit_public(
        session,
        actor=world.actor(world.officer),
        case_id=case.id,
        answer_id=answer.id,
        answer_public_body="수리했습니다. 문의는 010-3333-4444로",
    )
    session.refresh(answer)
    assert "010-3333-4444" not in (answer.public_body or "") and "수리했습니다" in (answer.public_body or "")
    assert _events(session, case).count("case.public_edited") == 2
    with pytest.raises(NotFound):  # another department's officer cannot see it, let alone edit it
        actions.edit_public(
            session, actor=world.actor(world.cleaning_officer), case_id=case.id, public_text="다른 부서"
        )


def test_hiding_takes_it_off_at_once_and_is_audited(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)
    actions.release(session, actor=world.actor(world.operator), case_id=case.id)
    heard: list[int] = []
    actions.on_public_change(heard.append)
    try:
        actions.withhold(session, actor=world.actor(world.manager), case_id=case.id, reason="주소가 보입니다")
    finally:
        publication._listeners.remove(heard.append)
    assert heard == [case.id]  # after the commit: the web app empties its caches here
    assert not _listed(session, case) and service.publication_state(case) == "private"
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "case.unpublished")
    ).one()
    assert event.details == {"reason": "주소가 보입니다"}
    # An operator can publish it again after correcting it.
    actions.release(session, actor=world.actor(world.operator), case_id=case.id, public_text="가로등 고장")
    assert _listed(session, case)


def test_automatic_release_needs_the_setting_and_a_sure_masker(session: Session, world: World) -> None:
    sure = new_case(session, world, text=LAMP)
    assert actions.auto_release(session, case_id=sure.id) is False  # the organisation has not allowed it
    org_actions.set_publication(
        session, actor=world.actor(world.admin), org_id=world.songpa.id, auto_release=True, sign_answers=True
    )
    assert actions.auto_release(session, case_id=sure.id) is True
    assert _listed(session, sure)
    unsure = new_case(session, world, text="이영희가 쓰레기를 매일 골목에 버려요. 단속해 주세요")
    assert actions.auto_release(session, case_id=unsure.id) is False  # a name only kiwipiepy vouches for
    assert not _listed(session, unsure)
    whistle = new_case(session, world, text=LAMP)
    actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=whistle.id,
        complaint_type=ComplaintType.other,
        is_whistleblower=True,
    )
    assert actions.auto_release(session, case_id=whistle.id) is False
