"""The result photo of an answer is on the case page; the citizen's own photo never is."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.actions import Photo
from sotong.cases.actions import answer as send_answer
from sotong.cases.inbound import InboundAttachment
from sotong.cases.models import Attachment, ComplaintType
from tests.factories import World, inbound, publish
from tests.web.conftest import PNG


def test_answer_photo_shown_citizen_photo_never(client: TestClient, session: Session, world: World) -> None:
    citizen_png = PNG + b"citizen"
    message = dataclasses.replace(
        inbound("보도블럭이 깨졌어요"), attachments=(InboundAttachment(data=citizen_png, filename="me.png"),)
    )
    case = publish(
        session, world, actions.receive_message(session, account_id=world.x_account.id, inbound=message).case
    )
    actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=case.id,
        complaint_type=ComplaintType.grievance,
        category_id=world.pothole.id,
    )
    reply = send_answer(
        session,
        actor=world.actor(world.officer),
        case_id=case.id,
        body="보수를 마쳤습니다.",
        photos=[Photo(data=PNG + b"result", filename="after.png")],
    )
    result = session.scalar(select(Attachment).where(Attachment.answer_id == reply.id))
    own = session.scalar(select(Attachment).where(Attachment.message_id.is_not(None)))
    assert result is not None and own is not None
    page = client.get(f"/cases/{case.number}").text
    assert f"/cases/{case.number}/photos/{result.id}" in page
    assert f"/photos/{own.id}" not in page
    served = client.get(f"/cases/{case.number}/photos/{result.id}")
    assert served.status_code == 200 and served.content == PNG + b"result"
    assert client.get(f"/cases/{case.number}/photos/{own.id}").status_code == 404
    actions.reopen(session, actor=world.actor(world.operator), case_id=case.id, reason="확인")
    actions.triage(
        session, actor=world.actor(world.operator), case_id=case.id, complaint_type=ComplaintType.other, is_public=False
    )
    assert client.get(f"/cases/{case.number}/photos/{result.id}").status_code == 404
