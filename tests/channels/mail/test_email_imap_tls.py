"""IMAP over STARTTLS (143) and implicit TLS (993) against a real local server (pymap) with a certificate generated in
the test: the poller verifies the server against the trusted CA, logs in only once encrypted, and refuses a server
it cannot trust."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from sotong.channels.base import ChannelError
from sotong.channels.email.poll import fetch_new
from tests.mailservers import IMAP_PASSWORD, IMAP_USER, Imap, running_imap, self_signed_certificate, tls_in_front


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return self_signed_certificate(tmp_path_factory.mktemp("imap-tls"))


@pytest.fixture(scope="module")
def tls_imap(certificate: Path) -> Iterator[Imap]:
    with running_imap(certificate) as server:
        yield server


def _config(port: int, security: str, mailbox: str) -> dict[str, Any]:
    return {
        "address": "minwon@songpa.go.kr",
        "imap_host": "127.0.0.1",
        "imap_port": port,
        "imap_security": security,
        "imap_user": IMAP_USER,
        "imap_password": IMAP_PASSWORD,
        "mailbox": mailbox,
    }


def _mailbox_with_one_mail(server: Imap, certificate: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh folder holding one citizen's mail, put there over STARTTLS (the server refuses plain log-ins)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # the deployment's trust store holds the server's CA
    import imaplib
    import ssl

    conn = imaplib.IMAP4("127.0.0.1", server.port, timeout=10)  # the test's own session, trusting the CA
    conn.starttls(ssl_context=ssl.create_default_context(cafile=str(certificate)))
    conn.login(IMAP_USER, IMAP_PASSWORD)
    name = f"Sotong-tls-{id(monkeypatch)}"
    try:
        assert conn.create(name)[0] == "OK"
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "minji@example.kr", "minwon@songpa.go.kr", "가로등 고장"
        mail.set_content("집 앞 가로등이 꺼졌어요.")
        assert conn.append(f'"{name}"', None, None, mail.as_bytes())[0] == "OK"
    finally:
        conn.logout()
    return name


def test_starttls_verifies_the_server_and_reads_the_mailbox(
    tls_imap: Imap, certificate: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox = _mailbox_with_one_mail(tls_imap, certificate, monkeypatch)

    fetched = fetch_new(_config(tls_imap.port, "starttls", mailbox), uidvalidity=None, last_uid=0)

    [mail] = fetched.mails
    assert b"minji@example.kr" in mail.raw


def test_implicit_tls_verifies_the_server_and_reads_the_mailbox(
    certificate: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    # pymap speaks STARTTLS only: a TLS front on its own port plays port 993, a plain session behind it.
    with running_imap() as plain, tls_in_front(certificate, plain.port) as port:
        folder = plain.new_mailbox()
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "junho@example.kr", "minwon@songpa.go.kr", "불법 주차"
        mail.set_content("골목에 불법 주차가 많습니다.")
        plain.deliver(folder, mail)

        fetched = fetch_new(_config(port, "tls", folder), uidvalidity=None, last_uid=0)

    [got] = fetched.mails
    assert b"junho@example.kr" in got.raw


def test_starttls_to_a_server_whose_certificate_is_not_trusted_is_refused(tls_imap: Imap) -> None:
    # No SSL_CERT_FILE: the system's CAs do not know the test certificate.
    with pytest.raises(ChannelError, match="unreachable"):
        fetch_new(_config(tls_imap.port, "starttls", "INBOX"), uidvalidity=None, last_uid=0)


def test_implicit_tls_to_a_server_whose_certificate_is_not_trusted_is_refused(certificate: Path) -> None:
    with (
        running_imap() as plain,
        tls_in_front(certificate, plain.port) as port,
        pytest.raises(ChannelError, match="unreachable"),
    ):
        fetch_new(_config(port, "tls", "INBOX"), uidvalidity=None, last_uid=0)
