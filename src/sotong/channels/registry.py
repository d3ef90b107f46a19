"""Every channel by name: one line each. `sotong.wiring` registers them with the outbox at start-up."""

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
from sotong.outbox.transports import Transport

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

# Open311 has no connector (its clients poll GET /requests) but its cases still get receipts and answers; web
# form, 120 call centre and counter citizens are answered by SMS when they left a mobile number.
TRANSPORTS: tuple[Transport, ...] = (*CONNECTORS.values(), Open311Transport(), *REPLY_TRANSPORTS)


def get_connector(name: str) -> Connector | None:
    """The connector for channel `name`, or None when that channel has none yet."""
    return CONNECTORS.get(name)
