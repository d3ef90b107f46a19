"""Organisation set-up actions: clear errors, nothing half-written, every change audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.actors import CLI, Role
from sotong.audit.models import AuditEvent
from sotong.errors import InvalidInput, NotFound, PermissionDenied
from sotong.orgs import actions
from sotong.orgs.models import Channel, ChannelAccount, User
from sotong.orgs.passwords import verify_password
from tests.factories import PASSWORD, World


def test_every_organisation_gets_a_web_form_account(session: Session, world: World) -> None:
    accounts = session.scalars(select(ChannelAccount).where(ChannelAccount.channel == Channel.web)).all()
    assert {a.org_id for a in accounts} == {world.songpa.id, world.seoul.id}


def test_passwords_are_argon2(world: World) -> None:
    assert world.admin.password_hash.startswith("$argon2id$")
    assert verify_password(world.admin.password_hash, PASSWORD)
    assert not verify_password(world.admin.password_hash, "wrong")
    assert not verify_password("not-a-hash", PASSWORD)


def test_duplicate_username_is_a_clear_error(session: Session, world: World) -> None:
    with pytest.raises(InvalidInput, match="taken"):
        actions.create_user(
            session, actor=CLI, org_id=world.songpa.id, username="kim.admin", password=PASSWORD, role=Role.admin
        )


def test_officer_needs_a_department_of_the_same_organisation(session: Session, world: World) -> None:
    with pytest.raises(InvalidInput, match="department"):
        actions.create_user(
            session, actor=CLI, org_id=world.songpa.id, username="x1", password=PASSWORD, role=Role.officer
        )
    with pytest.raises(NotFound):
        actions.create_user(
            session,
            actor=CLI,
            org_id=world.songpa.id,
            username="x2",
            password=PASSWORD,
            role=Role.officer,
            department_id=world.seoul_dept.id,
        )
    assert session.scalar(select(func.count()).select_from(User).where(User.username.in_(["x1", "x2"]))) == 0


def test_short_password_and_unknown_org(session: Session, world: World) -> None:
    with pytest.raises(InvalidInput, match="at least"):
        actions.create_user(session, actor=CLI, org_id=world.songpa.id, username="x", password="short", role=Role.admin)
    with pytest.raises(NotFound):
        actions.create_user(session, actor=CLI, org_id=987654, username="x", password=PASSWORD, role=Role.admin)


def test_duplicate_organisation_and_department(session: Session, world: World) -> None:
    with pytest.raises(InvalidInput):
        actions.create_organisation(session, actor=CLI, slug="songpa", name="송파구", short_name="송파2")
    with pytest.raises(InvalidInput):
        actions.create_department(session, actor=CLI, org_id=world.songpa.id, name="도로과")
    with pytest.raises(InvalidInput, match="slug"):
        actions.create_organisation(session, actor=CLI, slug="송파", name="x", short_name="x")


def test_bad_business_hours(session: Session) -> None:
    with pytest.raises(InvalidInput):
        actions.create_organisation(
            session, actor=CLI, slug="x", name="x", short_name="x", work_start=dt.time(18), work_end=dt.time(9)
        )
    with pytest.raises(InvalidInput, match="lunch"):
        actions.create_organisation(
            session, actor=CLI, slug="y", name="y", short_name="y", lunch_start=dt.time(20), lunch_end=dt.time(21)
        )


def test_staff_admin_manages_only_their_organisation(session: Session, world: World) -> None:
    admin = world.actor(world.admin)
    dept = actions.create_department(session, actor=admin, org_id=world.songpa.id, name="공원녹지과")
    assert dept.org_id == world.songpa.id
    with pytest.raises(NotFound):
        actions.create_department(session, actor=admin, org_id=world.seoul.id, name="침입")
    with pytest.raises(PermissionDenied):
        actions.create_department(session, actor=world.actor(world.officer), org_id=world.songpa.id, name="x")


def test_changes_are_audited(session: Session, world: World) -> None:
    kinds = set(session.scalars(select(AuditEvent.action)))
    assert {"org.created", "department.created", "user.created", "channel_account.created", "category.created"} <= kinds
