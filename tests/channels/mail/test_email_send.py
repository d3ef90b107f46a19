"""SMTP refusing: 550 fails for good and shows on the case, 451 and a dead server are retried, retries recognisable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases.models import Case
from sotong.channels.email.connector import EmailConnector
from sotong.channels.email.poll import poll
from sotong.orgs.models import ChannelAccount
from sotong.outbox.delivery import run_once
from sotong.outbox.models import OutboxStatus
from sotong.outbox.transports import Delivery, TransportError
from tests.channels.conftest import outbox
from tests.channels.mail.conftest import citizen_mail
from tests.mailservers import Imap, Smtp, free_port


def _received(session: Session, imap: Imap, mailbox: str, account: ChannelAccount, sender: str) -> Case:
    imap.deliver(mailbox, citizen_mail("불법 주정차 신고합니다", subject="불법 주정차", sender=sender))
    poll(session, account_id=account.id)
    return session.scalars(select(Case).where(Case.channel_account_id == account.id)).one()


def test_550_recipient_refused_fails_for_good_and_shows_on_the_case(
    session: Session, imap: Imap, smtp: Smtp, mailbox: str, email_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    smtp.handler.refuse["gone@example.kr"] = "550 5.1.1 <gone@example.kr>: Recipient address rejected"
    case = _received(session, imap, mailbox, email_account, "gone@example.kr")

    deliver()

    [item] = outbox(session, case.id)
    assert item.status is OutboxStatus.failed and "550" in (item.last_error or "")
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "outbox.failed")
    ).one()
    assert event.details["permanent"] is True
    assert smtp.sent == []


def test_451_is_retried_later_and_then_sent_once(
    session: Session,
    imap: Imap,
    smtp: Smtp,
    mailbox: str,
    email_account: ChannelAccount,
    deliver: Callable[[], int],
    factory: Callable[[], Session],
) -> None:
    smtp.handler.refuse_once["busy@example.kr"] = "451 4.7.1 Greylisted, try again later"
    case = _received(session, imap, mailbox, email_account, "busy@example.kr")

    deliver()

    [item] = outbox(session, case.id)
    assert item.status is OutboxStatus.pending and "451" in (item.last_error or "")
    assert smtp.sent == []

    run_once(factory, worker_id="test-worker", now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=2))

    [item] = outbox(session, case.id)
    assert item.status is OutboxStatus.sent
    assert [sent.rcpt_tos for sent in smtp.sent] == [["busy@example.kr"]]


def test_an_unreachable_server_is_temporary_and_a_retry_keeps_its_message_id(
    session: Session, imap: Imap, smtp: Smtp, mailbox: str, email_account: ChannelAccount
) -> None:
    case = _received(session, imap, mailbox, email_account, "minji@example.kr")
    delivery = Delivery.of(outbox(session, case.id)[0], attempt=1)
    working = dict(email_account.config)
    email_account.config = {**working, "smtp_port": free_port()}  # nothing listens there
    session.commit()

    with pytest.raises(TransportError) as raised:
        EmailConnector().send(delivery, session=session)
    assert not raised.value.permanent

    email_account.config = working
    session.commit()
    first = EmailConnector().send(delivery, session=session)
    again = EmailConnector().send(delivery, session=session)  # the worker never heard the first answer

    # A mail cannot be unsent; the same Message-ID lets the citizen's client (and us) recognise the repeat.
    assert first == again == smtp.sent[0].message["Message-ID"] == smtp.sent[1].message["Message-ID"]


def test_a_refused_login_is_permanent(
    session: Session, imap: Imap, smtp: Smtp, mailbox: str, email_account: ChannelAccount
) -> None:
    case = _received(session, imap, mailbox, email_account, "minji@example.kr")
    email_account.config = {**email_account.config, "smtp_password": "wrong"}
    session.commit()

    with pytest.raises(TransportError) as raised:
        EmailConnector().send(Delivery.of(outbox(session, case.id)[0], attempt=1), session=session)
    assert raised.value.permanent and "535" in raised.value.message
