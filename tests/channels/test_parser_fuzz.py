"""Every webhook parser, fed random JSON (issue 22): it answers with messages or its own refusal
(MalformedPayload, which the webhook turns into a 400 with the reason), never another exception (a 500, and on
a platform that redelivers, a webhook failing for ever)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sotong.cases.inbound import InboundMessage
from sotong.channels.base import Connector, MalformedPayload, parse_body
from sotong.channels.registry import CONNECTORS

# The connectors platforms post webhooks to, with the settings their parsers read.
WEBHOOK_CHANNELS = sorted(name for name, c in CONNECTORS.items() if c.accepts_webhooks)
CONFIG: dict[str, Any] = {
    "page_id": "1001",
    "own_user_id": "42",
    "own_account_id": "7",
    "bot_id": "bot",
    "skill_id": "skill",
    "image_url_prefixes": ["https://secure.kakaocdn.net/"],
}

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30,
)
# Random documents, and documents shaped like a platform's (its top-level keys), so the fuzzing gets past the first
# check of each parser.
KEYS = [
    "object",
    "entry",
    "changes",
    "messaging",
    "value",
    "field",
    "data",
    "includes",
    "tweet_create_events",
    "for_user_id",
    "userRequest",
    "user",
    "utterance",
    "params",
    "event",
    "textContent",
    "imageContent",
    "options",
    "id",
    "text",
    "message",
    "from",
    "sender",
    "recipient",
    "created_time",
    "status",
    "account",
]
shaped = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(KEYS), children, max_size=6),
    max_leaves=40,
)


def _parse(connector: Connector, body: bytes) -> None:
    try:
        messages = parse_body(connector, CONFIG, body)
    except MalformedPayload:
        return
    assert isinstance(messages, list)
    assert all(isinstance(m, InboundMessage) for m in messages)


@pytest.mark.parametrize("channel", WEBHOOK_CHANNELS)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=json_values | shaped)
def test_random_json_is_parsed_or_refused(channel: str, document: Any) -> None:
    _parse(CONNECTORS[channel], json.dumps(document).encode())


@pytest.mark.parametrize("channel", WEBHOOK_CHANNELS)
@settings(max_examples=40, deadline=None)
@given(body=st.binary(max_size=200))
def test_random_bytes_are_refused(channel: str, body: bytes) -> None:
    _parse(CONNECTORS[channel], body)
