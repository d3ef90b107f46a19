"""Queued webhooks in front of the app: concurrent requests share one commit, each event stored once, none lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from sotong.app import create_app
from sotong.channels import webhooks as hooks
from sotong.channels.health import AccountHealth
from sotong.channels.intake import events
from sotong.channels.intake.events import InboundEvent
from sotong.orgs.models import ChannelAccount
from sotong.settings import get_settings, reset_settings_cache
from sotong.web.security import SECURITY_HEADERS
from tests.factories import World
from tests.fakes.graph import FakeGraph

Request = tuple[bytes, dict[str, str]]


@pytest.fixture
def app(engine: Engine, settings: object, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    # Account ids repeat from test to test on the same database: start with nothing cached.
    monkeypatch.setattr(hooks, "_accounts", {})
    monkeypatch.setenv("SOTONG_WEBHOOK_QUEUE", "true")
    reset_settings_cache()
    return create_app(settings=get_settings(), engine=engine)


@pytest.fixture
def commits(engine: Engine) -> Iterator[list[int]]:
    """One entry per transaction committed through the engine."""
    seen: list[int] = []

    def count(_: Any) -> None:
        seen.append(1)

    event.listen(engine, "commit", count)
    yield seen
    event.remove(engine, "commit", count)


def post_together(app: FastAPI, path: str, requests: list[Request]) -> list[httpx.Response]:
    """The requests sent at the same time on one event loop, as a server process receives a burst."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sotong.test") as client:
            return list(
                await asyncio.gather(*(client.post(path, content=body, headers=headers) for body, headers in requests))
            )

    return asyncio.run(run())


def stored(session: Session) -> list[bytes]:
    session.expire_all()
    return [bytes(body) for body in session.scalars(select(InboundEvent.body).order_by(InboundEvent.id))]


def signed(graph: FakeGraph, text: str) -> Request:
    _, body = graph.comment(text)
    return body, graph.sign(body)


def test_a_burst_is_committed_in_far_fewer_transactions_with_one_row_per_event(
    app: FastAPI, session: Session, graph: FakeGraph, facebook_account: ChannelAccount, commits: list[int]
) -> None:
    burst = [signed(graph, f"가로등 {n}번이 꺼졌어요") for n in range(40)]
    responses = post_together(app, f"/hooks/facebook/{facebook_account.id}", burst)
    assert [(r.status_code, r.json()) for r in responses] == [(200, {"queued": 1, "duplicates": 0})] * 40
    assert sorted(stored(session)) == sorted(body for body, _ in burst)
    assert len(commits) < 10  # 40 events: one commit each would be 40


def test_the_same_event_twice_in_one_batch_is_stored_once(
    app: FastAPI, session: Session, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    retried = signed(graph, "보도블럭이 깨졌어요")
    other = signed(graph, "신호등이 고장났어요")
    responses = post_together(app, f"/hooks/facebook/{facebook_account.id}", [retried, other, retried])
    answers = [r.json() for r in responses]
    assert all(r.status_code == 200 for r in responses)
    assert answers[1] == {"queued": 1, "duplicates": 0}
    assert sorted([answers[0], answers[2]], key=str) == [{"queued": 0, "duplicates": 1}, {"queued": 1, "duplicates": 0}]
    assert sorted(stored(session)) == sorted([retried[0], other[0]])


def test_an_event_sent_again_in_a_later_batch_is_a_duplicate(
    app: FastAPI, session: Session, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    path = f"/hooks/facebook/{facebook_account.id}"
    first, second = signed(graph, "불법 주차 신고합니다"), signed(graph, "쓰레기가 쌓여 있어요")
    post_together(app, path, [first])
    responses = post_together(app, path, [second, first])
    assert [r.json() for r in responses] == [{"queued": 1, "duplicates": 0}, {"queued": 0, "duplicates": 1}]
    assert stored(session) == [first[0], second[0]]


def test_a_batch_that_fails_to_commit_fails_every_request_in_it_and_stores_nothing(
    app: FastAPI,
    session: Session,
    graph: FakeGraph,
    facebook_account: ChannelAccount,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    real_insert = events.insert_events

    def insert_then_fail(connection: Any, rows: Any) -> set[tuple[int, str]]:
        real_insert(connection, rows)  # the rows are written, then the transaction fails before its commit
        raise RuntimeError("disk full")

    monkeypatch.setattr(events, "insert_events", insert_then_fail)
    caplog.set_level(logging.ERROR, logger="sotong.channels.intake.events")
    path = f"/hooks/facebook/{facebook_account.id}"
    burst = [signed(graph, f"민원 {n}") for n in range(5)]
    responses = post_together(app, path, burst)
    assert [r.status_code for r in responses] == [503] * 5
    assert all("deliver it again" in r.json()["error"] for r in responses)
    assert stored(session) == []
    assert "disk full" in caplog.text

    monkeypatch.setattr(events, "insert_events", real_insert)  # the platform's redelivery then goes through
    assert [r.json()["queued"] for r in post_together(app, path, burst)] == [1] * 5
    assert len(stored(session)) == 5


def test_forged_and_malformed_webhooks_are_refused_logged_and_recorded_as_before(
    app: FastAPI,
    session: Session,
    graph: FakeGraph,
    facebook_account: ChannelAccount,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="sotong.channels.webhooks")
    body, _ = signed(graph, "가짜 민원")
    malformed = b'{"object": "page", "entry": {"id": "1"}}'
    requests = [
        (body, graph.sign(body, secret="not-the-secret")),
        (body, {"Content-Type": "application/json"}),
        (malformed, graph.sign(malformed)),
    ]
    responses = post_together(app, f"/hooks/facebook/{facebook_account.id}", requests)
    assert [r.status_code for r in responses] == [403, 401, 400]
    assert "does not match" in caplog.text and "no X-Hub-Signature-256" in caplog.text
    assert "entry is not a list" in caplog.text
    assert stored(session) == []
    session.expire_all()
    health = session.get(AccountHealth, facebook_account.id)
    assert health is not None and health.last_error is not None and "webhook refused" in health.last_error


def test_answers_carry_the_security_headers_and_no_session_cookie(
    app: FastAPI, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    body, headers = signed(graph, "석촌호수 가로등이 꺼져 있어요")
    forged = (body, graph.sign(body, secret="wrong"))
    accepted, refused = post_together(app, f"/hooks/facebook/{facebook_account.id}", [(body, headers), forged])
    for response in (accepted, refused):
        assert response.headers["content-type"] == "application/json"
        assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
        assert "set-cookie" not in response.headers
    assert accepted.headers["cache-control"] == "no-store"
    assert int(accepted.headers["content-length"]) == len(accepted.content)


def test_an_unknown_or_disabled_account_is_left_to_the_route(
    app: FastAPI, session: Session, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    body, headers = signed(graph, "민원")
    (unknown,) = post_together(app, f"/hooks/facebook/{facebook_account.id + 1000}", [(body, headers)])
    assert unknown.status_code == 404 and "no facebook account" in unknown.json()["error"]
    facebook_account.enabled = False
    session.commit()
    (disabled,) = post_together(app, f"/hooks/facebook/{facebook_account.id}", [(body, headers)])
    assert disabled.status_code == 403 and stored(session) == []


def test_without_the_queue_webhooks_are_taken_in_on_the_spot(
    engine: Engine, settings: object, session: Session, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    inline = create_app(settings=get_settings(), engine=engine)
    (response,) = post_together(inline, f"/hooks/facebook/{facebook_account.id}", [signed(graph, "민원입니다")])
    assert response.status_code == 200 and response.json()["stored"] == 1
    assert stored(session) == []


def test_kakao_and_naver_keep_their_own_routes(app: FastAPI, world: World) -> None:
    body = b'{"userRequest": {}}'
    (kakao,) = post_together(app, f"/hooks/kakao/{world.x_account.id}", [(body, {})])
    (naver,) = post_together(app, f"/hooks/naver/{world.x_account.id}", [(body, {})])
    # Their routes' own refusals, not the generic route's "no webhook for channel": the queued lane let them pass.
    assert kakao.status_code == 404 and kakao.json()["error"] == f"no kakao account {world.x_account.id}"
    assert naver.status_code == 404 and naver.json()["error"] == f"no naver account {world.x_account.id}"
