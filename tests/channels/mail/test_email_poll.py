"""Polling every mailbox: a mailbox that refuses us is recorded in its health and skipped, the others polled."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases.models import Case
from sotong.channels import accounts as channel_accounts
from sotong.channels.base import ChannelError
from sotong.channels.email.mime import imap_mailbox
from sotong.channels.email.poll import fetched_mails, poll
from sotong.channels.polling import poll_account
from sotong.orgs.models import Channel, ChannelAccount
from tests.channels.mail.conftest import citizen_mail
from tests.factories import World
from tests.mailservers import Imap, free_port


def test_a_refused_login_is_kept_in_the_mailboxs_health_and_the_others_polled(
    session: Session, world: World, imap: Imap, mailbox: str, email_account: ChannelAccount
) -> None:
    broken = channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.email,
        handle="mayor@songpa.go.kr",
        config={**email_account.config, "address": "mayor@songpa.go.kr", "imap_password": "expired"},
    )
    imap.deliver(mailbox, citizen_mail("공원 벤치가 부서졌습니다", subject="벤치"))
    now = dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.UTC)

    refused = poll_account(session, account_id=broken.id, now=now)
    polled = poll_account(session, account_id=email_account.id, now=now)

    assert polled.taken is not None and polled.taken.stored == 1
    assert "login refused" in str(refused.error)
    session.expire_all()
    assert broken.config["last_error"] and broken.config["last_poll_at"] == now.isoformat()
    assert email_account.config["last_error"] is None and email_account.config["last_uid"] > 0
    assert len(session.scalars(select(Case).where(Case.channel_account_id == email_account.id)).all()) == 1


def test_an_unreachable_imap_server_is_a_temporary_error(session: Session, email_account: ChannelAccount) -> None:
    email_account.config = {**email_account.config, "imap_port": free_port()}
    session.commit()

    with pytest.raises(ChannelError) as raised:
        poll(session, account_id=email_account.id)
    assert not raised.value.permanent and "unreachable" in raised.value.message


def test_the_deadline_runs_from_arrival_not_from_the_senders_date_header(
    session: Session, imap: Imap, mailbox: str, email_account: ChannelAccount
) -> None:
    arrived = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    backdated = citizen_mail("오래된 날짜의 메일", subject="날짜", sender="누군가 <someone@example.kr>")
    backdated.replace_header("Date", "Mon, 02 Mar 2020 09:00:00 +0900")
    backdated["Reply-To"] = "Answers Here <answers@example.kr>"
    imap.deliver(mailbox, backdated, arrived=arrived)

    poll(session, account_id=email_account.id)

    case = session.scalars(select(Case).where(Case.channel_account_id == email_account.id)).one()
    received = case.received_at if case.received_at.tzinfo else case.received_at.replace(tzinfo=dt.UTC)
    assert received == arrived
    assert case.author_handle == "someone@example.kr" and case.contact == {"email": "answers@example.kr"}


def test_a_korean_folder_name_is_selected_in_modified_utf7(
    session: Session, imap: Imap, email_account: ChannelAccount
) -> None:
    folder = f"민원-{uuid.uuid4().hex[:8]}"  # one IMAP server serves every test of the session
    assert imap_mailbox('민원 & "접수"') == '"&u,zG0A- &- \\"&yBHCGA-\\""'
    conn = imap.connect()
    try:
        assert conn.create(imap_mailbox(folder))[0] == "OK"
    finally:
        conn.logout()
    imap.deliver(imap_mailbox(folder).strip('"'), citizen_mail("한글 폴더로 온 민원"))
    email_account.config = {**email_account.config, "mailbox": folder}
    session.commit()

    assert poll(session, account_id=email_account.id).taken.stored == 1


def test_a_fetch_response_is_read_whether_uid_comes_before_or_after_the_message() -> None:
    response = [
        (b'1 (UID 101 INTERNALDATE "22-Nov-2026 11:44:00 +0900" BODY[] {3}', b"one"),
        b")",
        (b"2 (BODY[] {3}", b"two"),
        b' UID 102 INTERNALDATE "22-Nov-2026 11:45:00 +0900")',
    ]

    mails = fetched_mails(response)

    assert [(m.uid, m.raw) for m in mails] == [(101, b"one"), (102, b"two")]
    assert mails[1].arrived == dt.datetime(2026, 11, 22, 2, 45, tzinfo=dt.UTC)
