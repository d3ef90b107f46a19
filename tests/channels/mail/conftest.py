"""E-mail channel tests: a real IMAP server (pymap) and a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.channels import accounts as channel_accounts
from sotong.orgs.models import Channel, ChannelAccount
from tests.factories import World
from tests.mailservers import IMAP_PASSWORD, IMAP_USER, SMTP_PASSWORD, SMTP_USER, Imap, Smtp, running_imap, running_smtp

OWN = "minwon@songpa.go.kr"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200 + b"\xff\xd9"


@pytest.fixture(scope="session")
def imap() -> Iterator[Imap]:
    with running_imap() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    with running_smtp() as server:
        yield server


@pytest.fixture
def mailbox(imap: Imap) -> str:
    """A fresh folder per test, so tests sharing the server never see each other's mail."""
    return imap.new_mailbox()


@pytest.fixture
def email_account(session: Session, world: World, imap: Imap, smtp: Smtp, mailbox: str) -> ChannelAccount:
    """Songpa's complaint mailbox, read from the pymap folder and answering through aiosmtpd."""
    return channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.email,
        handle=OWN,
        department_id=world.roads.id,
        config={**mailbox_config(imap, smtp, mailbox), "display_name": "송파구 민원실"},
    )


def mailbox_config(imap: Imap, smtp: Smtp, mailbox: str) -> dict[str, object]:
    """The settings of Songpa's mailbox on the local servers, with passwords (plain connections: TLS has its own
    tests)."""
    return {
        "address": OWN,
        "imap_host": "127.0.0.1",
        "imap_port": imap.port,
        "imap_security": "none",
        "imap_user": IMAP_USER,
        "imap_password": IMAP_PASSWORD,
        "mailbox": mailbox,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_security": "none",
        "smtp_user": SMTP_USER,
        "smtp_password": SMTP_PASSWORD,
    }


def citizen_mail(
    text: str,
    *,
    subject: str = "보도블럭 파손 신고",
    sender: str = "김민지 <minji@example.kr>",
    charset: str = "euc-kr",
    photo: bytes | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
) -> EmailMessage:
    """A citizen's mail as a Korean mail client writes it."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = f"송파구 민원실 <{OWN}>"
    mail["Subject"] = subject
    mail["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    mail["Message-ID"] = make_msgid(domain="example.kr")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = references
    mail.set_content(text, charset=charset)
    if photo is not None:
        mail.add_attachment(photo, maintype="image", subtype="jpeg", filename="보도블럭.jpg")
    return mail
