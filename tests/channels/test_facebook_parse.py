"""What the Facebook connector makes of the Page's webhook events, one kind at a time."""

from __future__ import annotations

import json
from typing import Any

from sotong.channels.facebook.connector import FacebookConnector

PAGE = "104857600123456"
CONFIG = {"page_id": PAGE}


def _feed(value: dict[str, Any]) -> bytes:
    return json.dumps(
        {"object": "page", "entry": [{"id": PAGE, "time": 1, "changes": [{"field": "feed", "value": value}]}]}
    ).encode()


def test_a_visitor_post_on_the_page_is_a_message() -> None:
    body = _feed(
        {
            "item": "status",
            "verb": "add",
            "post_id": f"{PAGE}_77",
            "message": "주차장 요금 문의",
            "created_time": 1763776800,
            "from": {"id": "3001", "name": "박서준"},
        }
    )
    [message] = FacebookConnector().parse(CONFIG, body)
    assert (message.external_id, message.in_reply_to_external_id, message.author_handle) == (f"{PAGE}_77", None, "3001")
    assert message.received_at.tzinfo is not None and message.received_at.year == 2025


def test_edits_removals_and_reactions_are_not_messages() -> None:
    base = {"post_id": f"{PAGE}_77", "comment_id": "77_1", "message": "수정", "created_time": 1, "from": {"id": "3001"}}
    events = [
        {**base, "item": "comment", "verb": "edited"},
        {**base, "item": "comment", "verb": "remove"},
        {**base, "item": "reaction", "verb": "add", "reaction_type": "like"},
        {**base, "item": "comment", "verb": "add", "message": "   "},
    ]
    assert all(FacebookConnector().parse(CONFIG, _feed(event)) == [] for event in events)


def test_a_messenger_reply_threads_to_the_message_it_quotes() -> None:
    event = {
        "sender": {"id": "7001"},
        "recipient": {"id": PAGE},
        "timestamp": 1763776800123,
        "message": {"mid": "m_2", "text": "추가로 말씀드리면", "reply_to": {"mid": "m_1"}},
    }
    body = json.dumps({"object": "page", "entry": [{"id": PAGE, "time": 1, "messaging": [event]}]}).encode()
    [message] = FacebookConnector().parse(CONFIG, body)
    assert (message.external_id, message.in_reply_to_external_id, message.author_handle) == ("m_2", "m_1", "7001")
