"""A citizen mails the complaint address and hears back in the same mail thread: receipt, then the answer."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Attachment, Case, Message
from sotong.channels.email.poll import poll
from sotong.channels.polling import poll_due
from sotong.db import session_factory
from sotong.orgs.models import ChannelAccount
from sotong.outbox.models import OutboxStatus
from tests.channels.conftest import answer_case, outbox
from tests.channels.mail.conftest import JPEG, OWN, citizen_mail
from tests.factories import World
from tests.mailservers import Imap, Smtp


def _cases(session: Session, account: ChannelAccount) -> list[Case]:
    session.expire_all()
    return list(session.scalars(select(Case).where(Case.channel_account_id == account.id)))


def test_euc_kr_mail_with_photo_to_receipt_answer_and_reply_in_one_thread(
    session: Session,
    world: World,
    imap: Imap,
    smtp: Smtp,
    mailbox: str,
    email_account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    first = citizen_mail("석촌호수 앞 보도블럭이 깨져서 위험합니다.\n사진 첨부합니다.", photo=JPEG)
    imap.deliver(mailbox, first)
    assert b'charset="euc-kr"' in first.as_bytes()

    result = poll(session, account_id=email_account.id)

    assert result.taken.stored == 1
    [case] = _cases(session, email_account)
    assert case.body == "보도블럭 파손 신고\n\n석촌호수 앞 보도블럭이 깨져서 위험합니다.\n사진 첨부합니다."
    assert case.author_handle == "minji@example.kr"
    assert case.contact == {"email": "minji@example.kr"}
    assert case.department_id == world.roads.id
    message = session.scalars(select(Message).where(Message.case_id == case.id)).one()
    assert message.external_id == first["Message-ID"]
    assert len(session.scalars(select(Attachment).where(Attachment.message_id == message.id)).all()) == 1

    assert deliver() == 1
    [receipt] = smtp.sent
    assert receipt.rcpt_tos == ["minji@example.kr"] and receipt.mail_from == OWN
    mail = receipt.message
    assert mail["In-Reply-To"] == first["Message-ID"]
    assert first["Message-ID"] in mail["References"]
    assert mail["Subject"] == "Re: 보도블럭 파손 신고"
    assert mail["Auto-Submitted"] == "auto-replied"
    body = mail.get_content()
    assert case.number in body and f"/cases/{case.number}" in body
    [item] = outbox(session, case.id)
    assert item.status is OutboxStatus.sent and item.external_ref == mail["Message-ID"]
    assert smtp.logins == ["minwon"]

    answer_case(session, world, case.id, "보도블럭을 교체했습니다. 감사합니다.")
    deliver()

    answer = smtp.sent[-1].message
    assert answer["In-Reply-To"] == first["Message-ID"] and answer["Subject"] == "Re: 보도블럭 파손 신고"
    assert "보도블럭을 교체했습니다. 감사합니다." in answer.get_content()
    assert answer["Message-ID"] != mail["Message-ID"]

    # The citizen answers our receipt; their client quotes it and signs off.
    reply = citizen_mail(
        "아직 그대로입니다.\n\n-- \n김민지 드림\n\n> 민원이 접수되었습니다.",
        subject=f"Re: {mail['Subject']}",
        in_reply_to=mail["Message-ID"],
        references=f"{first['Message-ID']} {mail['Message-ID']}",
        charset="utf-8",
    )
    # A client that keeps only our id in its headers must thread just as well.
    terse = citizen_mail("사진 다시 보냅니다", subject="Re: 접수", in_reply_to=answer["Message-ID"], photo=JPEG)
    imap.deliver(mailbox, reply)
    imap.deliver(mailbox, terse)

    assert poll(session, account_id=email_account.id).taken.stored == 2

    [same] = _cases(session, email_account)
    messages = session.scalars(select(Message).where(Message.case_id == same.id).order_by(Message.id)).all()
    assert [m.text for m in messages[1:]] == ["아직 그대로입니다.", "사진 다시 보냅니다"]
    assert "김민지 드림" in messages[1].raw["text"]


def test_polling_twice_our_own_mail_and_a_renumbered_mailbox_store_nothing_twice(
    session: Session, imap: Imap, smtp: Smtp, mailbox: str, email_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    imap.deliver(mailbox, citizen_mail("가로등이 꺼졌습니다", subject="가로등 고장"))
    assert poll(session, account_id=email_account.id).taken.stored == 1
    deliver()
    # A copy of our own receipt lands in the same mailbox (a Bcc or a shared Sent folder).
    imap.deliver(mailbox, smtp.sent[0].data)
    imap.deliver(mailbox, citizen_mail("자동 회신", sender=f"송파구 <{OWN.upper()}>"))

    second = poll(session, account_id=email_account.id)
    third = poll(session, account_id=email_account.id)

    assert (second.taken.stored, second.taken.duplicates, third.taken.stored) == (0, 0, 0)
    assert len(_cases(session, email_account)) == 1

    # The server renumbered the mailbox (UIDVALIDITY changed): everything is re-read, nothing stored again.
    session.refresh(email_account)
    email_account.config = {**email_account.config, "uidvalidity": 1}
    session.commit()
    again = poll(session, account_id=email_account.id)
    assert (again.taken.stored, again.taken.duplicates) == (0, 1)
    assert again.uidvalidity != 1 and len(_cases(session, email_account)) == 1


def test_the_worker_polls_the_mailbox_on_its_schedule(
    session: Session, imap: Imap, mailbox: str, email_account: ChannelAccount, world: World
) -> None:
    # Only the mailbox is polled here: the world's X and Mastodon accounts have no credentials.
    for account in (world.x_account, world.mastodon_account, world.seoul_x_account):
        account.enabled = False
    session.commit()
    imap.deliver(mailbox, citizen_mail("공원 벤치가 부서졌어요", subject="벤치 파손"))
    factory = session_factory(session.get_bind())  # type: ignore[arg-type]
    assert poll_due(factory) == 1
    assert len(_cases(session, email_account)) == 1
    assert poll_due(factory) == 0  # not due again before SOTONG_CHANNEL_POLL_SECONDS
