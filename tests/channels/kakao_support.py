"""Songpa's KakaoTalk channel bot pointed at the fake Open Builder, and helpers the Kakao tests share."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases.models import Case
from sotong.channels import accounts as channel_accounts
from sotong.orgs.models import Channel, ChannelAccount
from tests.channels.conftest import fall_silent
from tests.factories import World
from tests.fakes.kakao import FakeKakao

# A public address, as Kakao's real CDN name has: the product checks it before fetching (no DNS in the tests).
CDN_ADDRESS = "211.249.220.24"


def through_the_cdn(monkeypatch: pytest.MonkeyPatch, kakao: FakeKakao) -> None:
    """Reach http://secure.kakaocdn.net through the fake CDN, as an outbound HTTP proxy (the product's default
    image hosts stay as they are); everything on this machine is reached directly. The CDN's name resolves to a
    public address, as the real one does."""
    monkeypatch.setenv("HTTP_PROXY", kakao.cdn_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "secure.kakaocdn.net":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (CDN_ADDRESS, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def kakao_account(session: Session, world: World, kakao: FakeKakao, **config: Any) -> ChannelAccount:
    """Songpa's bot: skill token and Event API key the fake's; photos from Kakao's real CDN host (the default)."""
    return channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.kakao,
        handle="송파구청",
        department_id=world.roads.id,
        config={
            "skill_token": kakao.skill_token,
            "bot_id": kakao.bot_id,
            "rest_api_key": kakao.rest_api_key,
            "api_url": kakao.base_url,
            # The receipt comes in the skill response when intake beats this budget. The product's 3 s is a
            # race a busy test machine can lose; tests of the slow path set a small budget and hold intake up.
            "answer_within_seconds": 60,
            **config,
        },
    )


def skill(client: TestClient, account: ChannelAccount, request: tuple[bytes, dict[str, str]]) -> Response:
    """POST one skill request as Open Builder does."""
    body, headers = request
    return client.post(f"/hooks/kakao/{account.id}", content=body, headers=headers)


def texts(response_body: dict[str, Any]) -> list[str]:
    """The simpleText texts of a skill response."""
    return [output["simpleText"]["text"] for output in response_body["template"]["outputs"]]


def cases(session: Session) -> list[Case]:
    fall_silent(session)  # a chat's bubbles become their case once the citizen stops writing
    session.expire_all()
    return list(session.scalars(select(Case).order_by(Case.id)))


def wait_for_case(session: Session, seconds: float = 15.0) -> Case:
    """The case the skill server's intake thread opens after it answered useCallback."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = cases(session)
        if found:
            session.rollback()
            return found[0]
        session.rollback()
        time.sleep(0.05)
    raise AssertionError("no case was opened")
