"""An account whose webhook secret was removed refuses every webhook, signed or not: it never falls open.

Each signature is computed here, independently, with an empty key (what a connector that skipped the check, or
signed with a missing secret, would accept), so the test fails if `verify` returns early when the secret is gone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from sotong.channels.base import SignatureError, WebhookRequest
from sotong.channels.registry import get_connector

BODY = b'{"object":"page","entry":[]}'


def _hub(key: bytes) -> str:
    return "sha256=" + hmac.new(key, BODY, hashlib.sha256).hexdigest()


def _x(key: bytes) -> str:
    return "sha256=" + base64.b64encode(hmac.new(key, BODY, hashlib.sha256).digest()).decode()


CASES = [
    ("facebook", "app_secret", {"x-hub-signature-256": _hub(b"")}),
    ("x", "consumer_secret", {"x-twitter-webhooks-signature": _x(b"")}),
    ("kakao", "skill_token", {"x-sotong-skill-token": ""}),
    ("kakao", "skill_token", {"x-sotong-skill-token": "anything"}),
]


@pytest.mark.parametrize(("channel", "secret", "headers"), CASES)
def test_a_removed_secret_refuses_every_webhook(channel: str, secret: str, headers: dict[str, str]) -> None:
    connector = get_connector(channel)
    assert connector is not None
    for config in ({}, {secret: ""}, {secret: None}):
        with pytest.raises(SignatureError):
            connector.verify(config, WebhookRequest(headers=headers, body=BODY))


@pytest.mark.parametrize(
    ("channel", "secret", "signed"), [("facebook", "app_secret", _hub), ("x", "consumer_secret", _x)]
)
def test_the_right_secret_still_verifies(channel: str, secret: str, signed: object) -> None:
    connector = get_connector(channel)
    assert connector is not None and callable(signed)
    header = "x-hub-signature-256" if channel == "facebook" else "x-twitter-webhooks-signature"
    connector.verify({secret: "s3cret"}, WebhookRequest(headers={header: signed(b"s3cret")}, body=BODY))
    with pytest.raises(SignatureError):
        connector.verify({secret: "other"}, WebhookRequest(headers={header: signed(b"s3cret")}, body=BODY))
