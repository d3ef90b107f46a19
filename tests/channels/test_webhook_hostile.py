"""Webhooks under attack (issue 22, findings 2-4): bodies over the limit refused before they are read, in both
modes; a citizen's NUL character stored without it (so no redelivery fails); JSON nested thousands deep refused."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from sotong.app import create_app
from sotong.cases.models import Case, Message
from sotong.channels import webhooks as hooks
from sotong.channels.intake.events import InboundEvent
from sotong.orgs.models import ChannelAccount
from sotong.settings import get_settings, reset_settings_cache
from tests.fakes.graph import FakeGraph

LIMIT = 64 * 1024


@pytest.fixture(params=["direct", "queued"])
def app(request: pytest.FixtureRequest, engine: Engine, settings: object, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setattr(hooks, "_accounts", {})
    monkeypatch.setenv("SOTONG_WEBHOOK_QUEUE", "true" if request.param == "queued" else "false")
    monkeypatch.setenv("SOTONG_WEBHOOK_MAX_BODY_BYTES", str(LIMIT))
    reset_settings_cache()
    return create_app(settings=get_settings(), engine=engine)


def _stored(session: Session) -> tuple[int, int]:
    session.expire_all()
    messages = session.scalar(select(func.count()).select_from(Message)) or 0
    events = session.scalar(select(func.count()).select_from(InboundEvent)) or 0
    return messages, events


def test_a_body_over_the_limit_is_refused_from_its_content_length(
    app: FastAPI, session: Session, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    _, small = graph.comment("가로등이 꺼졌어요")
    body = small[:-2] + b', "padding": "' + b"x" * LIMIT + b'"}]}'
    with TestClient(app) as client:
        response = client.post(f"/hooks/facebook/{facebook_account.id}", content=body, headers=graph.sign(body))
    assert response.status_code == 413
    assert f"{LIMIT:,} bytes" in response.json()["detail"]
    assert _stored(session) == (0, 0)


def test_a_streamed_body_over_the_limit_is_refused_without_reading_the_rest(
    app: FastAPI, session: Session, facebook_account: ChannelAccount
) -> None:
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(1000):  # 16 MB if it were all read
            sent.append(1)
            yield b"[" * 16 * 1024

    async def post() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sotong.test") as client:
            return await client.post(
                f"/hooks/facebook/{facebook_account.id}",
                content=endless(),
                headers={"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=00"},
            )

    response = asyncio.run(post())
    assert response.status_code == 413
    assert len(sent) <= LIMIT // (16 * 1024) + 2  # it stopped reading at the limit
    assert _stored(session) == (0, 0)


def test_a_nul_in_a_citizens_message_is_dropped_and_redeliveries_are_duplicates(
    app: FastAPI, session: Session, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    _, body = graph.comment("잠실역 4번 출구\u0000 신호등 고장\u0000")
    assert b"\\u0000" in body
    with TestClient(app) as client:
        first = client.post(f"/hooks/facebook/{facebook_account.id}", content=body, headers=graph.sign(body))
        again = client.post(f"/hooks/facebook/{facebook_account.id}", content=body, headers=graph.sign(body))
    assert first.status_code == again.status_code == 200
    if get_settings().webhook_queue:
        hooks.process_events(app.state.sessions)  # the worker's pass
    session.expire_all()
    message = session.scalars(select(Message)).one()
    assert message.text == "잠실역 4번 출구 신호등 고장"
    assert "\x00" not in json.dumps(message.raw, ensure_ascii=False)
    assert session.scalars(select(Case)).one().body == "잠실역 4번 출구 신호등 고장"


def test_json_nested_thousands_deep_is_refused_with_a_reason(
    app: FastAPI, session: Session, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    bodies = [b"[" * 20_000 + b"]" * 20_000, b'{"object": "page", "entry": ' + b"[" * 200 + b"]" * 200 + b"}"]
    with TestClient(app) as client:
        for body in bodies:
            response = client.post(f"/hooks/facebook/{facebook_account.id}", content=body, headers=graph.sign(body))
            assert response.status_code == 400
            assert "nested deeper" in response.json()["error"]
    assert _stored(session) == (0, 0)
