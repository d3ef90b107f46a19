"""Answering: unfilled required elements stop the send; photos of the result are kept with the answer."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.audit.models import AuditEvent
from sotong.cases import actions as case_actions
from sotong.cases.answers import render
from sotong.cases.answers.models import AnswerTemplate
from sotong.cases.models import Answer, Attachment, Case, CaseStatus
from sotong.errors import AttachmentRejected, NotFound, PermissionDenied
from sotong.outbox.models import OutboxItem
from sotong.settings import get_settings
from tests.factories import World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _rendered(template: AnswerTemplate, case: Case) -> str:
    values = render.case_values(
        case,
        department="도로과",
        officer="choi.officer",
        timezone="Asia/Seoul",
        base_url="http://t",
        now=dt.datetime.now(dt.UTC),
    )
    return render.fill(template.body, values)


def _filled(text: str) -> str:
    return (
        text.replace("[[조치 내용]]", "보도블럭 12장 교체")
        .replace("[[조치 일시]]", "11월 22일 14시")
        .replace("[[담당자 연락처]]", "도로과 02-2147-0000")
    )


def test_an_unfilled_slot_refuses_the_send(
    session: Session, world: World, template: AnswerTemplate, case: Case
) -> None:
    rendered = _rendered(template, case)
    body = rendered.replace("[[조치 내용]]", "보도블럭 12장 교체")
    with pytest.raises(case_actions.RequiredElementsMissing) as refused:
        case_actions.answer(
            session,
            actor=Actor.for_user(world.officer),
            case_id=case.id,
            body=body,
            template=template,
            rendered_template=rendered,
        )
    assert refused.value.missing == ["조치 일시", "담당자 연락처"]
    assert "조치 일시" in refused.value.message
    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.in_progress  # type: ignore[union-attr]
    assert session.scalars(select(Answer)).all() == []


def test_a_slot_deleted_but_left_blank_refuses_the_send(
    session: Session, world: World, template: AnswerTemplate, case: Case
) -> None:
    rendered = _rendered(template, case)
    body = _filled(rendered).replace("11월 22일 14시", "")
    with pytest.raises(case_actions.RequiredElementsMissing) as refused:
        case_actions.answer(
            session,
            actor=Actor.for_user(world.officer),
            case_id=case.id,
            body=body,
            template=template,
            rendered_template=rendered,
        )
    assert refused.value.missing == ["조치 일시"]


def test_a_free_answer_with_a_slot_left_is_refused_too(session: Session, world: World, case: Case) -> None:
    with pytest.raises(case_actions.RequiredElementsMissing, match="조치 결과"):
        case_actions.answer(session, actor=Actor.for_user(world.officer), case_id=case.id, body="조치: [[조치 결과]]")


def test_answer_with_photos_of_the_result(session: Session, world: World, template: AnswerTemplate, case: Case) -> None:
    rendered = _rendered(template, case)
    reply = case_actions.answer(
        session,
        actor=Actor.for_user(world.officer),
        case_id=case.id,
        body=_filled(rendered),
        template=template,
        rendered_template=rendered,
        photos=[case_actions.Photo(JPEG, "after.jpg"), case_actions.Photo(PNG, "wide.png")],
    )
    session.expire_all()
    answer = session.get(Answer, reply.id)
    assert answer is not None
    assert [(a.content_type, a.filename) for a in answer.attachments] == [
        ("image/jpeg", "after.jpg"),
        ("image/png", "wide.png"),
    ]
    assert all(a.message_id is None and a.org_id == world.songpa.id for a in answer.attachments)
    assert (get_settings().media_dir / answer.attachments[0].path).read_bytes() == JPEG
    assert session.get(Case, case.id).status is CaseStatus.answered  # type: ignore[union-attr]
    item = session.scalars(select(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.kind == "answer")).one()
    assert item.transport == "x" and "보도블럭 12장 교체" in item.payload["body"]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "answers.sent_with")).one()
    assert (
        event.case_id == case.id and event.details["template_id"] == template.id and len(event.details["photos"]) == 2
    )
    # The portal's copy: the citizen's handle and the officer's phone number are masked.
    assert answer.public_body is not None
    assert "@citizen_kim" not in answer.public_body and "02-2147-0000" not in answer.public_body
    assert "[전화번호]" in answer.public_body


def test_a_file_that_is_no_image_refuses_the_whole_answer(session: Session, world: World, case: Case) -> None:
    with pytest.raises(AttachmentRejected):
        case_actions.answer(
            session,
            actor=Actor.for_user(world.officer),
            case_id=case.id,
            body="보수를 완료했습니다.",
            photos=[case_actions.Photo(b"%PDF-1.7 not a photo", "report.pdf")],
        )
    assert session.scalars(select(Answer)).all() == [] and session.scalars(select(Attachment)).all() == []


def test_officer_of_another_department_cannot_answer(session: Session, world: World, case: Case) -> None:
    with pytest.raises(NotFound):
        case_actions.answer(session, actor=Actor.for_user(world.cleaning_officer), case_id=case.id, body="답변")
    with pytest.raises(PermissionDenied):
        case_actions.answer(session, actor=Actor.for_user(world.viewer), case_id=case.id, body="답변")
    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.in_progress  # type: ignore[union-attr]
