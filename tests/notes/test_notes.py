"""Internal notes: staff only, @mentions notify colleagues who can see the case, never public."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotong.audit.service import case_timeline
from sotong.cases.models import CaseStatus
from sotong.db import session_factory
from sotong.errors import InvalidInput, NotFound, PermissionDenied
from sotong.notes.actions import add_note, mentioned_usernames, notes_of
from sotong.notifications.models import Notification
from sotong.outbox.delivery import run_once
from sotong.outbox.models import OutboxItem
from tests.factories import World, case_in_status


def test_mentions_are_parsed_from_words_not_addresses() -> None:
    body = "@choi.officer 현장 확인 부탁. cc @jung.officer. 메일은 kim@example.com, 다시 @choi.officer"
    assert mentioned_usernames(body) == ["choi.officer", "jung.officer"]
    assert mentioned_usernames("no mentions here, a@b.c") == []


def test_a_note_mentioning_a_colleague_notifies_them(session: Session, engine: Engine, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)
    note, skipped = add_note(
        session,
        actor=world.actor(world.officer),
        case_id=case.id,
        body=f"@{world.officer2.username} 내일 현장 같이 가주세요. @{world.manager.username} 참고",
    )
    assert skipped == []
    assert sorted(note.mentions) == sorted([world.officer2.id, world.manager.id])
    items = session.scalars(select(OutboxItem).where(OutboxItem.kind == "notify", OutboxItem.case_id == case.id)).all()
    mention_items = [i for i in items if i.payload.get("kind") == "mention"]
    assert {i.recipient for i in mention_items} == {str(world.officer2.id), str(world.manager.id)}

    assert run_once(session_factory(engine), worker_id="test") >= 2
    session.expire_all()
    got = session.scalars(select(Notification).where(Notification.user_id == world.officer2.id)).all()
    assert [n.kind for n in got] == ["mention"]
    assert case.number in got[0].text and "현장" in got[0].text


def test_mentions_of_people_who_cannot_see_the_case_are_not_notified(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)  # 도로과
    body = f"@{world.cleaning_officer.username} @{world.seoul_operator.username} @nobody.here @{world.officer.username}"
    note, skipped = add_note(session, actor=world.actor(world.manager), case_id=case.id, body=body)
    assert note.mentions == [world.officer.id]
    assert skipped == [world.cleaning_officer.username, world.seoul_operator.username, "nobody.here"]
    recipients = session.scalars(select(OutboxItem.recipient).where(OutboxItem.case_id == case.id)).all()
    assert str(world.cleaning_officer.id) not in recipients
    assert str(world.seoul_operator.id) not in recipients


def test_notes_are_staff_only_and_in_the_private_timeline(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    add_note(session, actor=world.actor(world.officer), case_id=case.id, body="민원인 전화번호 010-1234-5678 확인")
    staff = [e.action for e in case_timeline(session, case_id=case.id)]
    public = [e.action for e in case_timeline(session, case_id=case.id, public_only=True)]
    assert "case.note_added" in staff
    assert "case.note_added" not in public
    assert [n.body for n in notes_of(session, actor=world.actor(world.viewer), case=case)] == [
        "민원인 전화번호 010-1234-5678 확인"
    ]


def test_who_may_write_notes(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    with pytest.raises(PermissionDenied):
        add_note(session, actor=world.actor(world.viewer), case_id=case.id, body="보기만 하는 사람")
    with pytest.raises(NotFound):  # another department's officer: the case does not exist for them
        add_note(session, actor=world.actor(world.cleaning_officer), case_id=case.id, body="남의 부서")
    with pytest.raises(NotFound):
        add_note(session, actor=world.actor(world.seoul_operator), case_id=case.id, body="다른 기관")
    with pytest.raises(InvalidInput):
        add_note(session, actor=world.actor(world.officer), case_id=case.id, body="   ")
    assert notes_of(session, actor=world.actor(world.officer), case=case) == []
