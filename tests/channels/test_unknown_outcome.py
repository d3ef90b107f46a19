"""A reply whose fate is unknown is never sent twice: platforms without an idempotency key (Kakao's Event API,
Naver TalkTalk's push, SENS) are retried only when the request never left; a request the platform took in but
never answered fails for good, with the reason on the case, for staff to check and retry by hand."""

from __future__ import annotations

import socket

import httpx
import pytest

from sotong.channels.base import network_error, request_was_not_sent
from tests.fakes.server import swallowing


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _error(url: str) -> httpx.HTTPError:
    with pytest.raises(httpx.HTTPError) as caught:
        httpx.post(url, json={"text": "접수되었습니다"}, timeout=5)
    return caught.value


def test_a_refused_connection_is_retried() -> None:
    exc = _error(f"http://127.0.0.1:{_closed_port()}/v2/bots/1/talk")
    assert request_was_not_sent(exc)
    error = network_error("kakao", exc)
    assert not error.permanent and "network error" in error.message


def test_a_request_taken_in_but_unanswered_fails_for_good() -> None:
    with swallowing() as platform:
        exc = _error(f"{platform.base_url}/chatbot/v1/event")
    assert platform.received == 1
    assert not request_was_not_sent(exc)
    error = network_error("naver", exc)
    assert error.permanent and "outcome unknown" in error.message and error.message.startswith("naver:")


def test_a_platform_that_deduplicates_is_always_retried() -> None:
    with swallowing() as platform:
        exc = _error(platform.base_url)
    assert not network_error("mastodon", exc, idempotent=True).permanent
