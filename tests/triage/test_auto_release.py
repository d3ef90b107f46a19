"""Triage publishes a case by itself only when it reads as administration-related, the masker is sure of all it
found and the organisation allows it; every other case waits in 공개 검토."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases import service
from sotong.cases.models import Case
from sotong.orgs import actions as org_actions
from sotong.triage import actions, model_store
from tests.factories import World, new_case
from tests.triage.helpers import tiny_model


@pytest.fixture(autouse=True)
def _tiny_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_store, "default_model", tiny_model)


def _allow(session: Session, world: World, on: bool) -> None:
    org_actions.set_publication(
        session, actor=world.actor(world.admin), org_id=world.songpa.id, auto_release=on, sign_answers=True
    )


def _listed(session: Session, case: Case) -> bool:
    return session.scalar(service.publicly_listed().where(Case.id == case.id)) is not None


def test_a_sure_complaint_is_released_by_triage_when_the_organisation_allows_it(session: Session, world: World) -> None:
    _allow(session, world, True)
    case = new_case(session, world, text="석촌호수 앞 보도블럭이 깨져서 위험합니다 보수 부탁드립니다")
    result = actions.triage_case(session, case_id=case.id)
    session.refresh(case)
    assert result.relevant and case.released_at is not None and _listed(session, case)
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "case.released")
    ).one()
    assert event.actor_kind == "system" and event.details == {"automatic": True}


def test_without_the_setting_everything_waits_for_review(session: Session, world: World) -> None:
    _allow(session, world, False)
    case = new_case(session, world, text="석촌호수 앞 보도블럭이 깨져서 위험합니다 보수 부탁드립니다")
    actions.triage_case(session, case_id=case.id)
    session.refresh(case)
    assert case.released_at is None and not _listed(session, case)


def test_an_unsure_masking_waits_for_review_even_when_allowed(session: Session, world: World) -> None:
    _allow(session, world, True)
    case = new_case(session, world, text="이영희가 보도블럭을 깨뜨리고 갔어요 보수 부탁드립니다")
    actions.triage_case(session, case_id=case.id)
    session.refresh(case)
    assert case.released_at is None and not _listed(session, case)
