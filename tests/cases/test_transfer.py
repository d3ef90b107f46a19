"""A transfer to another organisation (이송) carries the whole complaint: every message, photo and follow-up."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.audit.service import case_timeline
from sotong.cases import actions
from sotong.cases.inbound import InboundAttachment
from sotong.cases.models import Attachment, Case, CaseStatus, Message
from sotong.cases.service import get_attachment, transfer_links, travelled_messages
from sotong.outbox.models import OutboxItem
from tests.factories import World, inbound, publish
from tests.web.conftest import PNG


def _transferred(session: Session, world: World, *, release: bool = False) -> tuple[Case, Case]:
    """A complaint with a photo and the citizen's follow-up (released first, if asked), transferred from Songpa
    to Seoul."""
    first = dataclasses.replace(
        inbound("버스정류장 표지판이 쓰러져 있습니다", external_id="t-1"),
        attachments=(InboundAttachment(PNG, "sign.png"),),
    )
    case = actions.receive_message(session, account_id=world.x_account.id, inbound=first).case
    actions.receive_message(
        session,
        account_id=world.x_account.id,
        inbound=inbound("사진 하나 더 보냅니다", external_id="t-2", in_reply_to="t-1"),
    )
    if release:
        publish(session, world, case)
    new = actions.transfer_to_organisation(
        session, actor=world.actor(world.operator), case_id=case.id, target_org_id=world.seoul.id, reason="시 소관"
    )
    session.expire_all()
    return session.get(Case, case.id), new  # type: ignore[return-value]


def test_every_message_and_photo_moves_to_the_new_case(session: Session, world: World) -> None:
    old, new = _transferred(session, world)
    texts = [m.text for m in session.scalars(select(Message).where(Message.case_id == new.id).order_by(Message.id))]
    assert texts == ["버스정류장 표지판이 쓰러져 있습니다", "사진 하나 더 보냅니다"]
    assert session.scalars(select(Message).where(Message.case_id == old.id)).all() == []
    photo = session.scalars(select(Attachment)).one()
    assert session.get(Message, photo.message_id).case_id == new.id  # type: ignore[union-attr]
    # Seoul's staff see the photo; Songpa's, who received it first, still do.
    assert get_attachment(session, actor=world.actor(world.seoul_operator), attachment_id=photo.id) == photo
    assert get_attachment(session, actor=world.actor(world.operator), attachment_id=photo.id) == photo
    assert [m.text for m in travelled_messages(session, old)] == texts
    received = [e for e in case_timeline(session, case_id=new.id) if e.action == "case.received"]
    assert received[0].details["transferred_from"] == old.number and received[0].details["from_org"] == "송파구"


def test_the_two_cases_name_each_other(session: Session, world: World) -> None:
    old, new = _transferred(session, world)
    came_from, went_to = transfer_links(session, new)
    assert went_to is None and came_from is not None
    assert (came_from.number, came_from.org_name) == (old.number, "송파구")
    came_from, went_to = transfer_links(session, old)
    assert came_from is None and went_to is not None and went_to.number == new.number


def test_the_transfer_notice_answers_in_the_citizens_thread(session: Session, world: World) -> None:
    old, _new = _transferred(session, world)
    notice = session.scalars(select(OutboxItem).where(OutboxItem.kind == "transfer_notice")).one()
    assert notice.case_id == old.id and notice.payload["in_reply_to_external_id"] == "t-1"


def test_a_follow_up_on_the_first_number_reaches_the_new_case(session: Session, world: World) -> None:
    old, new = _transferred(session, world)
    assert old.status is CaseStatus.transferred_out and old.citizen_token
    joined = actions.follow_up_from_portal(
        session, case_number=old.number, token=old.citizen_token, text="언제 고쳐지나요?", submission_id="f-1"
    )
    assert joined.id == new.id
    assert "언제 고쳐지나요?" in [m.text for m in session.scalars(select(Message).where(Message.case_id == new.id))]
