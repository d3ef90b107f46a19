"""Personas and builders shared by the tests: two organisations, their departments, staff and accounts.

Everything is made through the real actions, so the tests exercise the same paths the product uses.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sotong.actors import CLI, Actor, Role
from sotong.cases import actions
from sotong.cases.inbound import InboundMessage
from sotong.cases.models import Case, CaseStatus, ComplaintType, RejectReason
from sotong.channels import accounts as channel_accounts
from sotong.orgs import actions as org_actions
from sotong.orgs.models import Category, Channel, ChannelAccount, Department, Organisation, User

PASSWORD = "correct-horse-battery"
_ids = itertools.count(1)


@dataclass
class World:
    """송파구 (Songpa) with two departments and one persona per role, and 서울특별시 (Seoul) beside it."""

    songpa: Organisation
    seoul: Organisation
    roads: Department  # 도로과
    cleaning: Department  # 청소행정과
    seoul_dept: Department
    admin: User
    operator: User
    manager: User  # 도로과 manager
    officer: User  # 도로과 officer
    officer2: User  # 도로과, second officer
    cleaning_officer: User
    viewer: User
    seoul_operator: User
    x_account: ChannelAccount
    mastodon_account: ChannelAccount
    seoul_x_account: ChannelAccount
    pothole: Category  # 도로 파손 → 도로과

    def actor(self, user: User) -> Actor:
        return Actor.for_user(user)


def build_world(session: Session) -> World:
    """Create the two organisations and the personas through the real actions."""
    seoul = org_actions.create_organisation(session, actor=CLI, slug="seoul", name="서울특별시", short_name="서울")
    songpa = org_actions.create_organisation(
        session, actor=CLI, slug="songpa", name="송파구", short_name="송파", parent_id=seoul.id
    )
    roads = org_actions.create_department(session, actor=CLI, org_id=songpa.id, name="도로과")
    cleaning = org_actions.create_department(session, actor=CLI, org_id=songpa.id, name="청소행정과")
    seoul_dept = org_actions.create_department(session, actor=CLI, org_id=seoul.id, name="도로계획과")

    def user(org: Organisation, name: str, role: Role, dept: Department | None = None) -> User:
        return org_actions.create_user(
            session,
            actor=CLI,
            org_id=org.id,
            username=name,
            password=PASSWORD,
            role=role,
            department_id=dept.id if dept else None,
            display_name=name,
        )

    return World(
        songpa=songpa,
        seoul=seoul,
        roads=roads,
        cleaning=cleaning,
        seoul_dept=seoul_dept,
        admin=user(songpa, "kim.admin", Role.admin),
        operator=user(songpa, "lee.operator", Role.operator),
        manager=user(songpa, "park.manager", Role.dept_manager, roads),
        officer=user(songpa, "choi.officer", Role.officer, roads),
        officer2=user(songpa, "jung.officer", Role.officer, roads),
        cleaning_officer=user(songpa, "kang.officer", Role.officer, cleaning),
        viewer=user(songpa, "yoon.viewer", Role.viewer),
        seoul_operator=user(seoul, "han.operator", Role.operator),
        x_account=channel_accounts.create_channel_account(
            session, actor=CLI, org_id=songpa.id, channel=Channel.x, handle="@songpaOK"
        ),
        mastodon_account=channel_accounts.create_channel_account(
            session, actor=CLI, org_id=songpa.id, channel=Channel.mastodon, handle="@songpa@gov.social"
        ),
        seoul_x_account=channel_accounts.create_channel_account(
            session, actor=CLI, org_id=seoul.id, channel=Channel.x, handle="@seoulcity"
        ),
        pothole=org_actions.create_category(
            session, actor=CLI, org_id=songpa.id, code="road-damage", name="도로 파손", department_id=roads.id
        ),
    )


def inbound(
    text: str = "석촌호수 앞 인도 보도블럭이 깨져서 위험합니다. 보수 부탁드립니다.",
    *,
    external_id: str | None = None,
    received_at: dt.datetime | None = None,
    author: str = "@citizen_kim",
    in_reply_to: str | None = None,
) -> InboundMessage:
    """A citizen message as a channel would hand it over."""
    return InboundMessage(
        external_id=external_id or f"ext-{next(_ids)}",
        text=text,
        received_at=received_at or dt.datetime.now(dt.UTC),
        author_handle=author,
        in_reply_to_external_id=in_reply_to,
    )


def new_case(session: Session, world: World, **kwargs: object) -> Case:
    """A fresh case received on Songpa's X account."""
    return actions.receive_message(session, account_id=world.x_account.id, inbound=inbound(**kwargs)).case  # type: ignore[arg-type]


def publish(session: Session, world: World, case: Case) -> Case:
    """An operator of the case's organisation releases its masked version after review (/staff/review)."""
    operator = world.seoul_operator if case.org_id == world.seoul.id else world.operator
    return actions.release(session, actor=world.actor(operator), case_id=case.id)


def case_in_status(session: Session, world: World, status: CaseStatus) -> Case:
    """A case driven through the real actions until it reaches `status`."""
    op, mgr = world.actor(world.operator), world.actor(world.manager)
    case = new_case(session, world)
    if status is CaseStatus.received:
        return case
    if status is CaseStatus.rejected:
        return actions.reject(session, actor=op, case_id=case.id, reason=RejectReason.spam)
    if status is CaseStatus.transferred_out:
        actions.transfer_to_organisation(
            session, actor=op, case_id=case.id, target_org_id=world.seoul.id, reason="시 관리 도로"
        )
        session.refresh(case)
        return case
    case = actions.triage(
        session, actor=op, case_id=case.id, complaint_type=ComplaintType.grievance, category_id=world.pothole.id
    )
    if status is CaseStatus.triaged:
        return case
    if status is CaseStatus.transferred:
        return actions.transfer_to_department(
            session, actor=op, case_id=case.id, department_id=world.cleaning.id, reason="청소 관련"
        )
    case = actions.assign(session, actor=mgr, case_id=case.id, officer_id=world.officer.id)
    if status is CaseStatus.assigned:
        return case
    case = actions.start_work(session, actor=world.actor(world.officer), case_id=case.id)
    if status is CaseStatus.in_progress:
        return case
    if status is CaseStatus.on_hold:
        return actions.hold(session, actor=mgr, case_id=case.id, reason="현장 확인 대기")
    actions.answer(session, actor=world.actor(world.officer), case_id=case.id, body="보수를 완료했습니다.")
    session.refresh(case)
    if status is CaseStatus.answered:
        return case
    if status is CaseStatus.closed:
        return actions.close(session, actor=mgr, case_id=case.id)
    if status is CaseStatus.reopened:
        return actions.reopen(session, actor=op, case_id=case.id, reason="아직 파손되어 있습니다")
    raise AssertionError(f"no recipe for {status}")
