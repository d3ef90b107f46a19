"""The officer hears of a citizen's follow-up once: a burst of chat bubbles is one follow-up, a message that is a
message of its own (an e-mail, a reply, a triage-joined case) one each, and nothing a second time."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import SYSTEM
from sotong.cases import actions
from sotong.cases.inbound import InboundMessage
from sotong.cases.models import Case, CaseStatus, Message
from sotong.db import atomic, utcnow
from sotong.outbox.models import OutboxItem
from tests.factories import World, inbound, new_case

_ids = itertools.count(1)
CITIZEN = "dm-user-77"


def _bubble(text: str) -> InboundMessage:
    """A direct message on the X account, one chat bubble."""
    return InboundMessage(
        external_id=f"dm-{next(_ids)}", text=text, received_at=utcnow(), author_handle=CITIZEN, chat=True
    )


def _told(session: Session, world: World, case: Case) -> list[str]:
    """The follow-up notifications the case's officer got, by the key of the message each is about."""
    session.expire_all()
    items = session.scalars(
        select(OutboxItem)
        .where(
            OutboxItem.case_id == case.id,
            OutboxItem.transport == "inapp",
            OutboxItem.recipient == str(world.officer.id),
        )
        .order_by(OutboxItem.id)
    )
    return [item.idempotency_key.rsplit(":", 1)[1] for item in items if item.payload.get("kind") == "follow_up"]


def _silence(session: Session, minutes: int = 10) -> None:
    """Time passes: every message stored so far arrived `minutes` earlier."""
    with atomic(session):
        for message in session.scalars(select(Message)):
            message.created_at -= dt.timedelta(minutes=minutes)


def _assigned_chat_case(session: Session, world: World) -> Case:
    """The citizen's DM became a case (its conversation fell silent), triaged and assigned to the officer."""
    actions.receive_message(session, account_id=world.x_account.id, inbound=_bubble("놀이터 그네 줄이 끊어졌어요"))
    _silence(session)
    [conversation_case] = [
        actions.open_conversation(session, conversation_id=c_id, now=utcnow() + dt.timedelta(hours=1))
        for c_id in session.scalars(select(Message.conversation_id).where(Message.conversation_id.is_not(None)))
    ]
    assert conversation_case is not None
    case = actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=conversation_case.id,
        complaint_type=conversation_case.complaint_type,
        category_id=world.pothole.id,
    )
    return actions.assign(session, actor=world.actor(world.manager), case_id=case.id, officer_id=world.officer.id)


def _ids_of(session: Session, case: Case) -> list[str]:
    session.expire_all()
    return [str(m.id) for m in session.scalars(select(Message).where(Message.case_id == case.id).order_by(Message.id))]


def test_a_burst_of_follow_up_bubbles_tells_the_officer_once(session: Session, world: World) -> None:
    case = _assigned_chat_case(session, world)

    for text in ("아직도 그대로예요", "아이들이 위험해요", "사진도 보내드릴게요"):  # three webhooks, a minute apart
        actions.receive_message(session, account_id=world.x_account.id, inbound=_bubble(text))

    messages = _ids_of(session, case)
    assert len(messages) == 4
    assert _told(session, world, case) == [messages[1]]  # the burst's first bubble

    _silence(session)  # the citizen stopped; an hour later they write again
    actions.receive_new_messages(
        session,
        account_id=world.x_account.id,
        inbounds=[_bubble("오늘 또 봤는데 그대로입니다"), _bubble("언제 고쳐지나요")],  # one poll page
    )
    messages = _ids_of(session, case)
    assert _told(session, world, case) == [messages[1], messages[4]]


def test_a_bubble_stored_once_is_told_once_whatever_the_retries(session: Session, world: World) -> None:
    case = _assigned_chat_case(session, world)
    bubble = _bubble("아직도 그대로예요")
    for _attempt in range(3):  # the platform redelivers the webhook; a worker re-runs its page
        actions.receive_message(session, account_id=world.x_account.id, inbound=bubble)
    actions.open_conversation(session, conversation_id=0, now=utcnow() + dt.timedelta(hours=1))  # a pass: nothing

    assert len(_told(session, world, case)) == 1


def test_each_reply_that_is_a_message_of_its_own_tells_the_officer(session: Session, world: World) -> None:
    case = new_case(session, world)
    actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=case.id,
        complaint_type=case.complaint_type,
        category_id=world.pothole.id,
    )
    actions.assign(session, actor=world.actor(world.manager), case_id=case.id, officer_id=world.officer.id)
    [first] = _ids_of(session, case)
    first_external = session.scalars(select(Message.external_id).where(Message.case_id == case.id)).one()

    for text in ("아직 보수가 안 됐어요", "사진 첨부합니다"):  # two reply tweets within a minute
        actions.receive_message(
            session, account_id=world.x_account.id, inbound=inbound(text, in_reply_to=first_external)
        )

    assert _told(session, world, case) == _ids_of(session, case)[1:]
    assert first not in _told(session, world, case)


def test_a_follow_up_triage_joins_to_the_open_case_tells_its_officer(session: Session, world: World) -> None:
    case = new_case(session, world, author="@citizen_lee")
    actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=case.id,
        complaint_type=case.complaint_type,
        category_id=world.pothole.id,
    )
    actions.assign(session, actor=world.actor(world.manager), case_id=case.id, officer_id=world.officer.id)
    again = new_case(session, world, text="오금로 보도블럭 아직 그대로네요", author="@citizen_lee")

    actions.merge_follow_up(session, actor=SYSTEM, case_id=again.id, into_case_id=case.id, by="triage")

    session.refresh(again)
    assert again.status is CaseStatus.rejected
    assert _told(session, world, case) == [_ids_of(session, case)[1]]
