"""SMTP over implicit TLS (465) and STARTTLS (587) against a real local server with a test certificate: the
channel's session verifies the server, logs in only once encrypted, and refuses a server it cannot trust."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

import pytest

from sotong import smtp
from tests.mailservers import SMTP_PASSWORD, SMTP_USER, running_tls_smtp, self_signed_certificate


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    return self_signed_certificate(tmp_path)


def _mail() -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = (
        "minwon@songpa.example",
        "kim@example.com",
        "[민원 답변] 2026-송파-000001",
    )
    mail.set_content("보수를 마쳤습니다.")
    return mail


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_a_session_over_tls_verifies_the_server_and_logs_in_encrypted(
    security: str, certificate: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # the deployment's trust store holds the server's CA
    with running_tls_smtp(certificate, implicit=security == "tls") as server:
        session = smtp.connect(
            host="127.0.0.1", port=server.port, security=security, user=SMTP_USER, password=SMTP_PASSWORD, timeout=10
        )
        try:
            session.send_message(_mail())
        finally:
            session.quit()
    assert server.logins == [SMTP_USER]
    [sent] = server.sent
    assert sent.message["Subject"] == "[민원 답변] 2026-송파-000001"


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_a_server_whose_certificate_is_not_trusted_is_refused(security: str, certificate: Path) -> None:
    with (
        running_tls_smtp(certificate, implicit=security == "tls") as server,
        pytest.raises((ssl.SSLError, smtplib.SMTPException)),
    ):
        smtp.connect(
                host="127.0.0.1", port=server.port, security=security, user=SMTP_USER, password=SMTP_PASSWORD,
                timeout=10,
            )  # fmt: skip
    assert server.logins == [] and server.sent == []


def test_without_tls_a_server_that_requires_starttls_refuses_the_login(certificate: Path) -> None:
    with running_tls_smtp(certificate, implicit=False) as server, pytest.raises(smtplib.SMTPException):
        smtp.connect(
            host="127.0.0.1", port=server.port, security="none", user=SMTP_USER, password=SMTP_PASSWORD,
            timeout=10,
        )  # fmt: skip
    assert server.logins == []
