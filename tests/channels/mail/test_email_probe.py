"""E-mail set-up: "연결 확인" logs in to the real IMAP server (pymap) and opens the mailbox read-only, then logs in to
the real SMTP server (aiosmtpd) and says goodbye; whatever fails is said in Korean, and no mail is read, marked or
sent."""

from __future__ import annotations

import pytest

from sotong.channels.base import ProbeError
from sotong.channels.email.connector import EmailConnector
from sotong.i18n import translate
from tests.channels.mail.conftest import mailbox_config
from tests.mailservers import Imap, Smtp, free_port


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({}, None),
        ({"imap_password": "wrong"}, "channels.probe.email.imap_login"),
        ({"imap_port": "closed"}, "channels.probe.email.imap_unreachable"),
        ({"mailbox": "없는-폴더"}, "channels.probe.email.no_mailbox"),
        ({"smtp_password": "wrong"}, "channels.probe.email.smtp_login"),
        ({"smtp_port": "closed"}, "channels.probe.email.smtp_unreachable"),
        ({"imap_security": "carrier-pigeon"}, "channels.probe.email.incomplete"),
        ({"imap_password": ""}, "channels.probe.email.incomplete"),
        ({"address": ""}, "channels.probe.email.incomplete"),
    ],
)
def test_the_email_probe_says_what_is_wrong(
    imap: Imap, smtp: Smtp, mailbox: str, change: dict[str, str], reason: str | None
) -> None:
    config = mailbox_config(imap, smtp, mailbox)
    config.update({k: free_port() if v == "closed" else v for k, v in change.items()})
    if reason is None:
        EmailConnector().probe(config)
    else:
        with pytest.raises(ProbeError) as refused:
            EmailConnector().probe(config)
        assert refused.value.key == reason
        assert translate("ko", reason) != reason
    assert smtp.sent == []
