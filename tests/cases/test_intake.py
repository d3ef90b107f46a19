"""Taking messages in: stored exactly once, a case per new complaint, attachments checked before anything is written."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.inbound import InboundAttachment
from sotong.cases.models import Attachment, Case, CaseStatus, Message
from sotong.errors import AttachmentRejected, DuplicateSubmission, InvalidInput, NotFound
from sotong.outbox.models import OutboxItem
from sotong.settings import get_settings
from tests.factories import World, inbound

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_new_message_opens_a_case_with_a_receipt(session: Session, world: World) -> None:
    result = actions.receive_message(session, account_id=world.x_account.id, inbound=inbound(external_id="1001"))
    assert result.created and result.new_case
    case = result.case
    assert case.status is CaseStatus.received and case.org_id == world.songpa.id
    assert case.number.startswith(f"{dt.datetime.now(dt.UTC).year}-송파-")
    receipt = session.scalars(select(OutboxItem).where(OutboxItem.case_id == case.id)).one()
    assert receipt.kind == "receipt" and receipt.transport == "x"
    assert receipt.payload["case_number"] == case.number and receipt.payload["in_reply_to_external_id"] == "1001"


def test_the_same_message_twice_is_stored_once(session: Session, world: World) -> None:
    first = actions.receive_message(session, account_id=world.x_account.id, inbound=inbound(external_id="dup-1"))
    again = actions.receive_message(session, account_id=world.x_account.id, inbound=inbound(external_id="dup-1"))
    assert not again.created and again.case.id == first.case.id and again.message.id == first.message.id
    assert _count(session, Message) == 1 and _count(session, Case) == 1 and _count(session, OutboxItem) == 1


def test_same_external_id_on_another_account_is_another_message(session: Session, world: World) -> None:
    actions.receive_message(session, account_id=world.x_account.id, inbound=inbound(external_id="same"))
    actions.receive_message(session, account_id=world.mastodon_account.id, inbound=inbound(external_id="same"))
    assert _count(session, Message) == 2


def test_the_database_itself_refuses_a_duplicate(session: Session, world: World) -> None:
    actions.receive_message(session, account_id=world.x_account.id, inbound=inbound(external_id="db-1"))
    session.add(
        Message(
            org_id=world.songpa.id,
            channel=world.x_account.channel,
            channel_account_id=world.x_account.id,
            external_id="db-1",
            text="again",
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_case_numbers_are_sequential_per_organisation_and_year(session: Session, world: World) -> None:
    numbers = [
        actions.receive_message(session, account_id=world.x_account.id, inbound=inbound()).case.number for _ in range(3)
    ]
    seq = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert seq == [seq[0], seq[0] + 1, seq[0] + 2]
    seoul = actions.receive_message(session, account_id=world.seoul_x_account.id, inbound=inbound()).case.number
    assert seoul.endswith("-서울-000001")
    last_year = actions.receive_message(
        session,
        account_id=world.x_account.id,
        inbound=inbound(received_at=dt.datetime(2025, 12, 31, 14, 59, tzinfo=dt.UTC)),  # 23:59 in Seoul
    ).case.number
    assert last_year == "2025-송파-000001"


def test_unknown_or_disabled_account(session: Session, world: World) -> None:
    with pytest.raises(NotFound):
        actions.receive_message(session, account_id=424242, inbound=inbound())
    world.x_account.enabled = False
    session.commit()
    with pytest.raises(InvalidInput):
        actions.receive_message(session, account_id=world.x_account.id, inbound=inbound())
    assert _count(session, Message) == 0


def test_empty_text_is_refused(session: Session, world: World) -> None:
    with pytest.raises(InvalidInput):
        actions.receive_message(session, account_id=world.x_account.id, inbound=inbound("   "))


def test_naive_time_is_refused(session: Session, world: World) -> None:
    with pytest.raises(InvalidInput):
        actions.receive_message(
            session, account_id=world.x_account.id, inbound=inbound(received_at=dt.datetime(2026, 1, 5, 10, 0))
        )


def test_photo_is_stored_by_hash(session: Session, world: World) -> None:
    message = inbound(external_id="photo-1")
    message = type(message)(
        **{**message.__dict__, "attachments": (InboundAttachment(PNG, "pothole.png", "image/png"),)}
    )
    result = actions.receive_message(session, account_id=world.x_account.id, inbound=message)
    stored = session.scalars(select(Attachment)).one()
    assert stored.message_id == result.message.id and stored.size == len(PNG)
    assert stored.sha256 == hashlib.sha256(PNG).hexdigest() and stored.content_type == "image/png"
    assert (get_settings().media_dir / stored.path).read_bytes() == PNG


@pytest.mark.parametrize(
    "data, reason",
    [(b"%PDF-1.7 not an image", "not an image"), (b"\xff\xd8\xff" + b"0" * (11 * 1024 * 1024), "limit")],
)
def test_bad_attachment_leaves_nothing_behind(session: Session, world: World, data: bytes, reason: str) -> None:
    message = inbound(external_id="bad-1")
    message = type(message)(**{**message.__dict__, "attachments": (InboundAttachment(data, "file.bin"),)})
    with pytest.raises(AttachmentRejected, match=reason):
        actions.receive_message(session, account_id=world.x_account.id, inbound=message)
    assert _count(session, Message) == 0 and _count(session, Case) == 0 and _count(session, Attachment) == 0


def test_web_form_double_submission(session: Session, world: World) -> None:
    case = actions.submit_web_form(
        session, org_slug="songpa", text="가로등이 꺼져 있어요", submission_id="form-1", phone="010-1111-2222"
    )
    assert case.channel.value == "web" and case.contact == {"phone": "010-1111-2222"}
    with pytest.raises(DuplicateSubmission) as duplicate:
        actions.submit_web_form(session, org_slug="songpa", text="가로등이 꺼져 있어요", submission_id="form-1")
    assert duplicate.value.extra["case_number"] == case.number
    assert _count(session, Case) == 1


def test_web_form_unknown_organisation(session: Session, world: World) -> None:
    with pytest.raises(NotFound):
        actions.submit_web_form(session, org_slug="atlantis", text="hello", submission_id="x")


def test_public_text_is_masked(session: Session, world: World) -> None:
    result = actions.receive_message(
        session,
        account_id=world.x_account.id,
        inbound=inbound("제 번호는 010-9876-5432, 메일 kim@example.com 입니다. 불법주차 신고합니다."),
    )
    assert "010-9876-5432" not in (result.case.public_text or "") and "kim@example.com" not in result.case.title
    assert "010-9876-5432" in result.case.body
