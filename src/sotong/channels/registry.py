"""Every connector by channel name, each also registered as the outbox transport of that name."""

from __future__ import annotations

from sotong.channels.base import Connector
from sotong.channels.email.connector import EmailConnector
from sotong.channels.facebook.connector import FacebookConnector
from sotong.channels.kakao.connector import KakaoConnector
from sotong.channels.mastodon.connector import MastodonConnector
from sotong.channels.naver.connector import NaverConnector
from sotong.channels.open311.transport import Open311Transport
from sotong.channels.sms.connector import SmsConnector
from sotong.channels.webform.reply import REPLY_TRANSPORTS
from sotong.channels.x.connector import XConnector
from sotong.outbox.transports import register

# One line per channel.
CONNECTORS: dict[str, Connector] = {
    MastodonConnector.name: MastodonConnector(),
    FacebookConnector.name: FacebookConnector(),
    XConnector.name: XConnector(),
    EmailConnector.name: EmailConnector(),
    KakaoConnector.name: KakaoConnector(),
    NaverConnector.name: NaverConnector(),
    SmsConnector.name: SmsConnector(),
}

for _connector in CONNECTORS.values():
    register(_connector)
# Open311 has no connector (its clients poll GET /requests) but its cases still get receipts and answers.
register(Open311Transport())
# Web form, 120 call centre and counter citizens: answered by SMS when they left a mobile number.
for _reply in REPLY_TRANSPORTS:
    register(_reply)


def get_connector(name: str) -> Connector | None:
    """The connector for channel `name`, or None when that channel has none yet."""
    return CONNECTORS.get(name)
