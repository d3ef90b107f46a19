"""The Facebook webhook: handshake, signature over the raw body, bad bodies refused, retries and echoes ignored."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.cases.models import Case, Message
from sotong.orgs.models import ChannelAccount
from tests.fakes.graph import FakeGraph


def _messages(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Message.id))) or 0


def _hook(account: ChannelAccount) -> str:
    return f"/hooks/facebook/{account.id}"


def test_the_subscription_check_echoes_the_challenge(client: TestClient, facebook_account: ChannelAccount) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "songpa-verify-7f3a", "hub.challenge": "1158201444"}
    response = client.get(_hook(facebook_account), params=query)
    assert (response.status_code, response.text) == (200, "1158201444")


def test_a_wrong_verify_token_is_refused(client: TestClient, facebook_account: ChannelAccount) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"}
    response = client.get(_hook(facebook_account), params=query)
    assert response.status_code == 403 and "1158201444" not in response.text


def test_a_comment_is_taken_in_once_however_often_it_is_delivered(
    session: Session, client: TestClient, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    comment_id, body = graph.comment("잠실역 4번 출구 앞 신호등이 고장났어요")

    first = client.post(_hook(facebook_account), content=body, headers=graph.sign(body))
    again = client.post(_hook(facebook_account), content=body, headers=graph.sign(body))

    assert first.status_code == again.status_code == 200
    assert (first.json()["stored"], again.json()["duplicates"]) == (1, 1)
    message = session.scalars(select(Message)).one()
    assert (message.external_id, message.author_handle, message.author_name) == (comment_id, "2001", "김민지")
    assert session.scalars(select(Case)).one().body == "잠실역 4번 출구 앞 신호등이 고장났어요"


def test_a_bad_signature_is_refused_logged_and_stores_nothing(
    session: Session,
    client: TestClient,
    graph: FakeGraph,
    facebook_account: ChannelAccount,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, body = graph.comment("가짜 민원")
    caplog.set_level(logging.WARNING, logger="sotong.channels.webhooks")

    forged = client.post(_hook(facebook_account), content=body, headers=graph.sign(body, secret="not-the-secret"))
    tampered = client.post(_hook(facebook_account), content=body.replace(b"2001", b"2002"), headers=graph.sign(body))
    unsigned = client.post(_hook(facebook_account), content=body, headers={"Content-Type": "application/json"})

    assert (forged.status_code, tampered.status_code, unsigned.status_code) == (403, 403, 401)
    assert "X-Hub-Signature-256" in forged.json()["error"]
    assert "does not match" in caplog.text and "no X-Hub-Signature-256" in caplog.text
    assert _messages(session) == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (json.dumps({"object": "instagram", "entry": []}).encode(), "not 'page'"),
        (json.dumps({"object": "page", "entry": {"id": "1"}}).encode(), "entry is not a list"),
        (
            json.dumps(
                {
                    "object": "page",
                    "entry": [
                        {
                            "id": "104857600123456",
                            "changes": [
                                {
                                    "field": "feed",
                                    "value": {"item": "comment", "verb": "add", "message": "x", "created_time": 1},
                                }
                            ],
                        }
                    ],
                }
            ).encode(),
            "without its id",
        ),
    ],
)
def test_a_malformed_body_is_refused_with_a_reason(
    session: Session, client: TestClient, graph: FakeGraph, facebook_account: ChannelAccount, body: bytes, reason: str
) -> None:
    response = client.post(_hook(facebook_account), content=body, headers=graph.sign(body))
    assert response.status_code == 400 and reason in response.json()["error"]
    assert _messages(session) == 0


def test_the_pages_own_replies_and_messenger_echoes_are_not_taken_in(
    session: Session, client: TestClient, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    comment_id, body = graph.comment("놀이터 그네가 부서졌어요")
    client.post(_hook(facebook_account), content=body, headers=graph.sign(body))
    graph._object(f"{comment_id}9", graph.page_id, "송파구청", "접수되었습니다", comment_id)
    echo = graph.page_reply_echo(f"{comment_id}9")
    _, messenger_echo = graph.messenger("접수되었습니다", echo=True)

    for payload in (echo, messenger_echo):
        response = client.post(_hook(facebook_account), content=payload, headers=graph.sign(payload))
        assert response.status_code == 200 and response.json()["stored"] == 0

    assert _messages(session) == 1


def test_a_disabled_page_is_refused(
    session: Session, client: TestClient, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    facebook_account.enabled = False
    session.commit()
    _, body = graph.comment("민원")
    response = client.post(_hook(facebook_account), content=body, headers=graph.sign(body))
    assert response.status_code == 403 and _messages(session) == 0
