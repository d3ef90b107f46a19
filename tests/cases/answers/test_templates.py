"""Templates are created, changed and retired by admins and department managers only, each change audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.audit.models import AuditEvent
from sotong.cases.answers import actions
from sotong.cases.answers.models import AnswerTemplate
from sotong.errors import InvalidInput, NotFound, PermissionDenied
from tests.factories import World


def _events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_create_update_deactivate_are_audited(session: Session, world: World, template: AnswerTemplate) -> None:
    manager = Actor.for_user(world.manager)
    created = _events(session, "answers.template_created")
    assert [e.details["template_id"] for e in created] == [template.id]
    assert created[0].actor_label == world.admin.username

    actions.update_template(
        session,
        actor=manager,
        template_id=template.id,
        title="도로 파손 보수 완료 (개정)",
        body=template.body,
        category_id=template.category_id,
        required_elements=template.required_elements,
    )
    updated = _events(session, "answers.template_updated")
    assert updated[0].before == {"title": "도로 파손 보수 완료"}
    assert updated[0].after == {"title": "도로 파손 보수 완료 (개정)"}

    actions.deactivate_template(session, actor=manager, template_id=template.id)
    session.refresh(template)
    assert template.is_active is False
    assert _events(session, "answers.template_deactivated")[0].after == {"is_active": False}


@pytest.mark.parametrize("persona", ["viewer", "officer", "operator"])
def test_only_admins_and_managers_write_templates(
    session: Session, world: World, template: AnswerTemplate, persona: str
) -> None:
    actor = Actor.for_user(getattr(world, persona))
    with pytest.raises(PermissionDenied):
        actions.create_template(session, actor=actor, org_id=world.songpa.id, title="새 답안", body="감사합니다.")
    with pytest.raises(PermissionDenied):
        actions.deactivate_template(session, actor=actor, template_id=template.id)
    assert session.scalars(select(AnswerTemplate.title)).all() == [template.title]


def test_another_organisation_template_does_not_exist(session: Session, world: World, template: AnswerTemplate) -> None:
    seoul_admin = Actor(kind="user", label="seoul.admin", user_id=None, org_id=world.seoul.id, role=world.admin.role)
    with pytest.raises(NotFound):
        actions.deactivate_template(session, actor=seoul_admin, template_id=template.id)
    with pytest.raises(NotFound):
        actions.create_template(session, actor=seoul_admin, org_id=world.songpa.id, title="x", body="y")


def test_titles_are_unique_per_organisation(session: Session, world: World, template: AnswerTemplate) -> None:
    with pytest.raises(InvalidInput, match="already exists"):
        actions.create_template(
            session, actor=Actor.for_user(world.admin), org_id=world.songpa.id, title=template.title, body="다른 본문"
        )


def test_category_of_another_organisation_is_refused(session: Session, world: World) -> None:
    from sotong.actors import CLI
    from sotong.orgs import actions as org_actions

    seoul_category = org_actions.create_category(session, actor=CLI, org_id=world.seoul.id, code="bus", name="버스")
    with pytest.raises(NotFound):
        actions.create_template(
            session,
            actor=Actor.for_user(world.admin),
            org_id=world.songpa.id,
            title="버스",
            body="안내",
            category_id=seoul_category.id,
        )
