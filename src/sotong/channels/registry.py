"""Every channel by name, one line each: the connector declares everything else about it (channels/base.py).

Adding a channel: its folder with a `Connector`, one line here, and its value in `orgs.models.Channel` (stored
as text: no migration). `sotong.wiring` registers these with the outbox at start-up.
"""

from __future__ import annotations

from sotong.channels.base import Connector
from sotong.channels.callcentre.connector import PhoneConnector, VisitConnector
from sotong.channels.email.connector import EmailConnector
from sotong.channels.facebook.connector import FacebookConnector
from sotong.channels.kakao.connector import KakaoConnector
from sotong.channels.mastodon.connector import MastodonConnector
from sotong.channels.naver.connector import NaverConnector
from sotong.channels.open311.connector import Open311Connector
from sotong.channels.sms.connector import SmsConnector
from sotong.channels.webform.connector import WebConnector
from sotong.channels.x.connector import XConnector

CONNECTORS: dict[str, Connector] = {
    connector.name: connector
    for connector in (
        XConnector(),
        FacebookConnector(),
        MastodonConnector(),
        KakaoConnector(),
        NaverConnector(),
        EmailConnector(),
        SmsConnector(),
        WebConnector(),
        PhoneConnector(),
        VisitConnector(),
        Open311Connector(),
    )
}


def get_connector(name: str) -> Connector | None:
    """The connector of channel `name`, or None when that channel has none."""
    return CONNECTORS.get(name)


def secret_fields(channel: str) -> tuple[str, ...]:
    """The credentials a channel's connector reads (the admin page's write-only fields)."""
    connector = CONNECTORS.get(channel)
    return connector.secret_fields if connector is not None else ()


def public_groups() -> dict[str, tuple[str, ...]]:
    """The channels of each group the public portal filters by ("sns", "phone", ...), in registry order."""
    groups: dict[str, list[str]] = {}
    for name, connector in CONNECTORS.items():
        groups.setdefault(connector.public_group, []).append(name)
    return {group: tuple(names) for group, names in groups.items()}


def polled() -> tuple[str, ...]:
    """The channels the worker polls."""
    return tuple(name for name, connector in CONNECTORS.items() if connector.polls)
