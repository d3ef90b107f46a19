"""Line breaks never reach a mail header (issue 22, finding 9): they are removed once, where the text comes in
(a notification's text, a citizen's name, address and subject), so the mail goes out at the first attempt."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotong.cases.inbound import InboundMessage
from sotong.cases.models import CaseStatus
from sotong.db import atomic, session_factory
from sotong.notes.actions import add_note
from sotong.notifications import service
from sotong.orgs.models import User
from sotong.outbox.delivery import run_once
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.settings import Settings, reset_settings_cache
from tests.factories import World, case_in_status
from tests.mailservers import SMTP_PASSWORD, SMTP_USER, running_smtp


def test_a_note_with_line_breaks_mails_its_mention_at_the_first_attempt(
    session: Session, engine: Engine, world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_smtp() as smtp:
        env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "SMTP_SECURITY": "none"}
        env |= {"SMTP_USER": SMTP_USER, "SMTP_PASSWORD": SMTP_PASSWORD, "MAIL_FROM": "sotong@songpa.go.kr"}
        for key, value in env.items():
            monkeypatch.setenv(f"SOTONG_{key}", value)
        reset_settings_cache()
        with atomic(session):
            officer = session.get(User, world.officer2.id)
            assert officer is not None
            officer.email = "kang@songpa.go.kr"
        service.set_email_preference(session, actor=world.actor(world.officer2), email=True)
        case = case_in_status(session, world, CaseStatus.in_progress)
        add_note(
            session,
            actor=world.actor(world.officer),
            case_id=case.id,
            body=f"@{world.officer2.username} 현장 확인 부탁드립니다\r\nBcc: everyone@example.com\n\n내일 오전",
        )
        factory = session_factory(engine)
        while run_once(factory, worker_id="w1"):
            pass
        session.expire_all()
        [item] = session.scalars(select(OutboxItem).where(OutboxItem.transport == service.EMAIL_TRANSPORT))
        assert (item.status, item.attempts) == (OutboxStatus.sent, 1)
        [mail] = smtp.sent
        assert mail.rcpt_tos == ["kang@songpa.go.kr"]
        subject = str(mail.message["Subject"])
        assert "\n" not in subject and "\r" not in subject and "Bcc: everyone@example.com" in subject
        assert mail.message["Bcc"] is None


@pytest.mark.parametrize("line_break", ["\r\n", "\n", "\r", "\u2028", "\x0b"])
def test_intake_makes_what_may_become_a_header_one_line(line_break: str) -> None:
    message = InboundMessage(
        external_id="m-1",
        text=f"첫 줄{line_break}둘째 줄",
        received_at=dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
        author_name=f"김민지{line_break}Bcc: x@example.com",
        author_handle=f"minji{line_break}",
        contact={"email": f"minji@example.com{line_break}Bcc: x@example.com", "phone": f"010-1234{line_break}5678"},
        raw={"subject": f"가로등{line_break}Bcc: x@example.com", "body": f"a{line_break}b"},
    )
    assert message.text == f"첫 줄{line_break}둘째 줄"  # the complaint itself keeps its lines
    assert message.author_name == "김민지 Bcc: x@example.com"
    assert message.author_handle == "minji"
    assert message.contact == {"email": "minji@example.com Bcc: x@example.com", "phone": "010-1234 5678"}
    assert message.raw == {"subject": "가로등 Bcc: x@example.com", "body": f"a{line_break}b"}
