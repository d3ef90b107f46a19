"""공무원 실명제 (issue 13 item 6): where the organisation signs answers, a public answer carries the officer's
name, department and department phone, kept apart from the masked copy (the masker would take the officer's name
and the office number for a citizen's); the citizen's name never appears; without the setting nothing is signed."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CLI, Role
from sotong.cases import actions
from sotong.cases.models import Answer, Case, ComplaintType
from sotong.cases.wording import reply_text
from sotong.orgs import actions as org_actions
from sotong.outbox.models import OutboxItem
from sotong.outbox.transports import Delivery
from tests.factories import PASSWORD, World, new_case, publish

SIGNED = "최민호 · 도로과 · 02-2147-2000"


def _answered(session: Session, world: World, *, sign: bool, display_name: str = "최민호") -> Case:
    org_actions.set_publication(session, actor=CLI, org_id=world.songpa.id, auto_release=False, sign_answers=sign)
    org_actions.update_department(session, actor=CLI, department_id=world.roads.id, name="도로과", phone="02-2147-2000")
    officer = org_actions.create_user(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        username="choi.minho",
        password=PASSWORD,
        role=Role.officer,
        department_id=world.roads.id,
        display_name=display_name,
    )
    case = publish(
        session, world, new_case(session, world, text="안녕하세요 김철수입니다. 석촌호수로 가로등이 꺼졌어요")
    )
    actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=case.id,
        complaint_type=ComplaintType.grievance,
        category_id=world.pothole.id,
    )
    actions.answer(session, actor=world.actor(officer), case_id=case.id, body="김철수님, 가로등을 교체했습니다.")
    session.expire_all()
    answered = session.get(Case, case.id)
    assert answered is not None
    return answered


def _public_reply(session: Session, case: Case) -> str:
    item = session.scalars(select(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.kind == "answer")).one()
    assert item.transport == "x"  # a reply in a public thread
    return reply_text(Delivery.of(item))


def test_a_signed_answer_names_the_officer_never_the_citizen(
    client: TestClient, session: Session, world: World
) -> None:
    case = _answered(session, world, sign=True)
    answer = session.scalars(select(Answer).where(Answer.case_id == case.id)).one()
    assert answer.signature == SIGNED
    assert answer.public_body is not None and "김철수" not in answer.public_body

    page = html.unescape(client.get(f"/cases/{case.number}").text)
    assert f"담당: {SIGNED}" in page  # name and office number whole, not masked as a citizen's
    assert "김철수" not in page

    reply = _public_reply(session, case)
    assert f"담당: {SIGNED}" in reply and "김철수" not in reply


def test_without_the_setting_nothing_is_signed(client: TestClient, session: Session, world: World) -> None:
    case = _answered(session, world, sign=False)
    assert session.scalars(select(Answer.signature).where(Answer.case_id == case.id)).one() is None
    assert "최민호" not in html.unescape(client.get(f"/cases/{case.number}").text)
    assert "담당:" not in _public_reply(session, case)


def test_an_officer_without_a_real_name_signs_by_the_department_never_the_login(
    client: TestClient, session: Session, world: World
) -> None:
    case = _answered(session, world, sign=True, display_name="")  # created without a name: the login stands in
    answer = session.scalars(select(Answer).where(Answer.case_id == case.id)).one()
    assert answer.signature == "도로과 · 02-2147-2000"
    assert "choi.minho" not in html.unescape(client.get(f"/cases/{case.number}").text)
