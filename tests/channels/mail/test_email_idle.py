"""IMAP IDLE against a real IMAP server (pymap): mail is announced the moment it arrives, the watcher takes
it in through the ordinary poll (so never twice), and a stop request ends an IDLE promptly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.cases.models import Message
from sotong.channels.email.idle import idle_once, watch
from sotong.orgs.models import ChannelAccount
from sotong.secrets import open_config
from tests.channels.mail.conftest import citizen_mail
from tests.mailservers import Imap


def test_idle_wakes_up_when_mail_arrives(imap: Imap, mailbox: str, email_account: ChannelAccount) -> None:
    config = open_config(email_account.config)
    timer = threading.Timer(1.0, lambda: imap.deliver(mailbox, citizen_mail("가로등 고장 신고")))
    timer.start()
    started = time.monotonic()
    assert idle_once(config, timeout=20) is True
    assert time.monotonic() - started < 10
    timer.join()


def test_idle_times_out_and_stops_on_request(email_account: ChannelAccount) -> None:
    config = open_config(email_account.config)
    assert idle_once(config, timeout=1.0) is False
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    started = time.monotonic()
    assert idle_once(config, timeout=30, stop=stop) is False
    assert time.monotonic() - started < 5


def test_the_watcher_takes_mail_in_as_it_arrives(
    session: Session, factory: Callable[[], Session], imap: Imap, mailbox: str, email_account: ChannelAccount
) -> None:
    stop = threading.Event()
    stored: list[int] = []
    thread = threading.Thread(target=lambda: stored.append(watch(factory, email_account.id, stop, idle_seconds=30)))
    thread.start()
    try:
        time.sleep(1.0)  # the watcher has polled (nothing yet) and is idling
        imap.deliver(mailbox, citizen_mail("석촌호수 앞 보도블럭이 깨졌습니다"))
        deadline = time.monotonic() + 60  # generous: CI machines can be busy; it usually takes well under 1 s
        count = 0
        while time.monotonic() < deadline:
            session.expire_all()
            count = session.scalar(select(func.count()).select_from(Message)) or 0
            session.rollback()
            if count:
                break
            time.sleep(0.1)
        assert count == 1
    finally:
        stop.set()
        thread.join(timeout=20)
    assert not thread.is_alive()
    assert stored == [1]
