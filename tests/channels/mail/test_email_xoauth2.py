"""Hosted mailboxes (Microsoft 365, Gmail) refuse passwords: the account logs in with OAuth 2.0 (SASL XOAUTH2) to a
real IMAP server (pymap) and a real SMTP server (aiosmtpd) that accept only the bearer tokens a fake authorisation
server says are active; Sotong renews the token with the rotating refresh token, once per refusal, and says in
Korean when the mailbox must be signed in again."""

from __future__ import annotations

import datetime as dt
import smtplib
import threading
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong import smtp as sotong_smtp
from sotong.actors import CLI
from sotong.cases.models import Case
from sotong.channels import accounts as channel_accounts
from sotong.channels import polling
from sotong.channels.base import ChannelError
from sotong.channels.email.idle import watch
from sotong.channels.email.oauth import refreshed_token
from sotong.channels.email.poll import poll
from sotong.channels.health import health_of, needs_sign_in
from sotong.orgs.models import Channel, ChannelAccount
from sotong.outbox.models import OutboxStatus
from sotong.secrets import is_sealed, open_config
from tests.channels.conftest import outbox
from tests.channels.mail.conftest import OWN, citizen_mail
from tests.factories import World
from tests.fakes import oauth as fake_oauth
from tests.fakes.oauth import FakeOAuth
from tests.mailservers import IMAP_USER, Imap, Smtp, running_imap, running_smtp
from tests.web.conftest import login

SCOPE = "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access"


@pytest.fixture(scope="module")
def authority() -> Iterator[FakeOAuth]:
    with fake_oauth.running() as fake:
        yield fake


@pytest.fixture(scope="module")
def oauth_imap(authority: FakeOAuth) -> Iterator[Imap]:
    """One pymap for the module, asking the authorisation server about every XOAUTH2 log-in."""
    with running_imap(introspect=authority.introspect_url) as server:
        yield server


@pytest.fixture
def oauth(authority: FakeOAuth) -> FakeOAuth:
    authority.reset()
    return authority


@pytest.fixture
def oauth_smtp(oauth: FakeOAuth) -> Iterator[Smtp]:
    with running_smtp(accepts=oauth.active_user) as server:
        yield server


@pytest.fixture
def oauth_mailbox(oauth_imap: Imap) -> str:
    return oauth_imap.new_mailbox()


@pytest.fixture
def account(
    session: Session, world: World, oauth: FakeOAuth, oauth_imap: Imap, oauth_smtp: Smtp, oauth_mailbox: str
) -> ChannelAccount:
    """Songpa's hosted mailbox, signed in by an administrator: an access token with an hour left, and its refresh
    token. No password anywhere."""
    return channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.email,
        handle=OWN,
        department_id=world.roads.id,
        config={
            "address": OWN,
            "auth": "xoauth2",
            "imap_host": "127.0.0.1",
            "imap_port": oauth_imap.port,
            "imap_security": "none",
            "imap_user": IMAP_USER,
            "mailbox": oauth_mailbox,
            "smtp_host": "127.0.0.1",
            "smtp_port": oauth_smtp.port,
            "smtp_security": "none",
            "smtp_user": IMAP_USER,
            "oauth_token_url": oauth.token_url,
            "oauth_client_id": oauth.client_id,
            "oauth_client_secret": oauth.client_secret,
            "oauth_scope": SCOPE,
            "oauth_refresh_token": oauth.refresh_token,
            "oauth_access_token": oauth.grant(),
            "token_expires_at": (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=59)).isoformat(),
        },
    )


def _config(session: Session, account: ChannelAccount) -> dict[str, object]:
    session.expire_all()
    return dict(account.config)


def _receive(session: Session, imap: Imap, mailbox: str, account: ChannelAccount) -> Case:
    imap.deliver(mailbox, citizen_mail("가로수가 쓰러져 차도를 막고 있습니다", subject="가로수 쓰러짐"))
    assert poll(session, account_id=account.id).taken.stored == 1
    return session.scalars(select(Case).where(Case.channel_account_id == account.id)).one()


def test_a_fresh_token_reads_the_mailbox_and_sends_the_receipt_without_a_renewal(
    session: Session,
    oauth: FakeOAuth,
    oauth_imap: Imap,
    oauth_smtp: Smtp,
    oauth_mailbox: str,
    account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    token = open_config(account.config)["oauth_access_token"]

    case = _receive(session, oauth_imap, oauth_mailbox, account)
    deliver()

    assert [item.status for item in outbox(session, case.id)] == [OutboxStatus.sent]
    [sent] = oauth_smtp.sent
    assert sent.rcpt_tos == ["minji@example.kr"]
    assert oauth_smtp.logins == [f"xoauth2:{IMAP_USER}"]
    assert oauth.checks == [(token, True), (token, True)]  # IMAP, then SMTP: the same token
    assert oauth.refreshes == []


def test_a_token_the_servers_refuse_is_renewed_once_and_the_login_tried_again(
    session: Session,
    oauth: FakeOAuth,
    oauth_imap: Imap,
    oauth_smtp: Smtp,
    oauth_mailbox: str,
    account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    old = open_config(account.config)["oauth_access_token"]
    oauth.expire_access_tokens()  # revoked early, or the clocks disagree: Sotong still thinks it good

    case = _receive(session, oauth_imap, oauth_mailbox, account)

    [renewal] = oauth.refreshes
    assert renewal["grant_type"] == "refresh_token" and renewal["scope"] == SCOPE
    assert renewal["client_secret"] == oauth.client_secret
    stored = _config(session, account)
    assert is_sealed(stored["oauth_refresh_token"]) and is_sealed(stored["oauth_access_token"])
    opened = open_config(stored)
    new = opened["oauth_access_token"]
    assert oauth.checks == [(old, False), (new, True)]
    # The rotated refresh token is kept: the one used is dead from now on.
    assert opened["oauth_refresh_token"] == oauth.refresh_token != renewal["refresh_token"]

    oauth.expire_access_tokens()  # and once more before the receipt goes out
    deliver()

    assert [item.status for item in outbox(session, case.id)] == [OutboxStatus.sent]
    assert len(oauth.refreshes) == 2 and oauth.refreshes[1]["refresh_token"] == opened["oauth_refresh_token"]
    assert oauth_smtp.logins == [f"xoauth2:{IMAP_USER}"] and len(oauth_smtp.sent) == 1


def test_a_token_near_its_expiry_is_renewed_before_logging_in(
    session: Session, oauth: FakeOAuth, oauth_imap: Imap, oauth_mailbox: str, account: ChannelAccount
) -> None:
    account.config = {
        **account.config,
        "token_expires_at": (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)).isoformat(),
    }
    session.commit()

    _receive(session, oauth_imap, oauth_mailbox, account)

    new = open_config(_config(session, account))["oauth_access_token"]
    assert len(oauth.refreshes) == 1 and oauth.checks == [(new, True)]


def test_a_second_worker_finds_the_token_renewed_and_spends_no_refresh_token(
    session: Session, oauth: FakeOAuth, account: ChannelAccount
) -> None:
    stale = str(open_config(account.config)["oauth_access_token"])

    first = refreshed_token(session, account_id=account.id, stale=stale)
    second = refreshed_token(session, account_id=account.id, stale=stale)  # refused the same token meanwhile

    assert first == second != stale and len(oauth.refreshes) == 1


def test_a_revoked_refresh_token_leaves_the_account_needing_sign_in_said_in_korean(
    session: Session,
    world: World,
    client: TestClient,
    oauth: FakeOAuth,
    oauth_imap: Imap,
    oauth_mailbox: str,
    account: ChannelAccount,
) -> None:
    oauth.revoke_refresh_token()
    oauth.expire_access_tokens()
    oauth_imap.deliver(oauth_mailbox, citizen_mail("횡단보도 신호등이 꺼졌어요"))

    outcome = polling.poll_account(session, account_id=account.id)

    assert outcome.error is not None and "sign-in needed" in outcome.error
    assert len(oauth.refreshes) == 1  # refused once; not retried in a loop
    assert session.scalars(select(Case)).all() == []
    health = health_of(session, [account.id])[account.id]
    assert needs_sign_in(health)
    login(client, world.admin)
    for page in (client.get("/staff/admin/channels").text, client.get(f"/staff/admin/channels/{account.id}").text):
        assert "다시 로그인 필요" in page and "새 갱신 토큰을 저장할 때까지" in page
    assert oauth.refresh_token not in page and "enc:v1:" not in page


def test_the_idle_watcher_logs_in_with_the_token_its_poll_renewed(
    session: Session, factory: Callable[[], Session], oauth: FakeOAuth, account: ChannelAccount
) -> None:
    old = open_config(account.config)["oauth_access_token"]
    oauth.expire_access_tokens()
    stop, idling = threading.Event(), threading.Event()
    thread = threading.Thread(target=lambda: watch(factory, account.id, stop, idle_seconds=3600, idling=idling))
    thread.start()
    try:
        assert idling.wait(60), "the watcher never got to IDLE"
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive()
    new = open_config(_config(session, account))["oauth_access_token"]
    assert len(oauth.refreshes) == 1 and oauth.checks == [(old, False), (new, True), (new, True)]  # poll, IDLE


def test_servers_that_take_no_tokens_are_said_to_plainly_and_no_refresh_token_is_spent(
    session: Session, oauth: FakeOAuth, imap: Imap, smtp: Smtp, account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    """An on-premises mail server set up as if it were Microsoft 365: password log-ins only."""
    account.config = {**account.config, "imap_port": imap.port, "smtp_port": smtp.port}
    session.commit()

    with pytest.raises(ChannelError, match="offers no AUTHENTICATE XOAUTH2") as refused:
        poll(session, account_id=account.id)
    assert refused.value.permanent

    with pytest.raises(smtplib.SMTPNotSupportedError, match="XOAUTH2"):
        sotong_smtp.connect(
            host="127.0.0.1", port=smtp.port, security="none", user=IMAP_USER, password=None, timeout=10,
            bearer_token="access-token",
        )  # fmt: skip
    assert oauth.refreshes == [] and oauth.checks == [] and smtp.logins == []
