"""IMAP IDLE against a real IMAP server (pymap): mail is announced the moment it arrives, the watcher takes
it in through the ordinary poll (so never twice), and a stop request ends an IDLE promptly.

No clocks: each test waits for the server to have accepted IDLE (`idling`), then acts. The IDLE timeouts are an
hour, so an announcement that never came or a stop that was ignored shows as a thread still running when the
generous join gives up, never as a test that passes by waiting long enough.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.cases.models import Message
from sotong.channels.email.idle import idle_once, watch
from sotong.orgs.models import ChannelAccount
from sotong.secrets import open_config
from tests.channels.mail.conftest import citizen_mail
from tests.mailservers import Imap

HOUR = 3600.0
JOIN = 60.0  # only a broken IDLE waits this long; a working one returns within milliseconds of the event


def _in_thread(target: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(target()), daemon=True)
    thread.start()
    return thread, results


def test_idle_wakes_up_when_mail_arrives(imap: Imap, mailbox: str, email_account: ChannelAccount) -> None:
    config = open_config(email_account.config)
    idling = threading.Event()
    thread, results = _in_thread(lambda: idle_once(config, timeout=HOUR, idling=idling))
    assert idling.wait(JOIN), "the server never accepted IDLE"
    imap.deliver(mailbox, citizen_mail("가로등 고장 신고"))
    thread.join(JOIN)
    assert not thread.is_alive(), "new mail was not announced"
    assert results == [True]


def test_idle_times_out_and_stops_on_request(email_account: ChannelAccount) -> None:
    config = open_config(email_account.config)
    assert idle_once(config, timeout=1.0) is False  # nothing arrives: the timeout ends it, nothing announced

    stop, idling = threading.Event(), threading.Event()
    thread, results = _in_thread(lambda: idle_once(config, timeout=HOUR, stop=stop, idling=idling))
    assert idling.wait(JOIN), "the server never accepted IDLE"
    stop.set()
    thread.join(JOIN)
    assert not thread.is_alive(), "the stop request was ignored"
    assert results == [False]


def test_mail_that_arrived_before_idle_is_noticed_at_once(
    imap: Imap, mailbox: str, email_account: ChannelAccount
) -> None:
    """Between the poll and the IDLE command the mailbox can change: IDLE would never announce that mail."""
    config = open_config(email_account.config)
    assert idle_once(config, timeout=1.0, last_uid=0) is False  # an empty mailbox: nothing new
    imap.deliver(mailbox, citizen_mail("보도블럭 파손"))
    assert idle_once(config, timeout=HOUR, last_uid=0) is True  # returns before IDLE: an hour would fail the suite


def test_the_watcher_takes_mail_in_as_it_arrives(
    session: Session, factory: Callable[[], Session], imap: Imap, mailbox: str, email_account: ChannelAccount
) -> None:
    stop, idling = threading.Event(), threading.Event()
    thread, stored = _in_thread(lambda: watch(factory, email_account.id, stop, idle_seconds=HOUR, idling=idling))
    try:
        assert idling.wait(JOIN), "the watcher never got to IDLE"  # it has polled (nothing yet) and is idling
        idling.clear()
        imap.deliver(mailbox, citizen_mail("석촌호수 앞 보도블럭이 깨졌습니다"))
        # Woken by IDLE, the watcher polls (storing the mail) and idles again: only then is `idling` set again.
        assert idling.wait(JOIN), "the mail was not announced, or the watcher did not idle again"
        session.expire_all()
        assert session.scalar(select(func.count()).select_from(Message)) == 1
        session.rollback()
    finally:
        stop.set()
        thread.join(JOIN)
    assert not thread.is_alive()
    assert stored == [1]
