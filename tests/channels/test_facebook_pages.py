"""One Meta app, one webhook URL, several Pages: each entry goes to its own Page's account, and is answered with
that Page's token; photo-only messages; the retry read-back through more than one page of comments."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.app import create_app
from sotong.cases.models import Attachment, Case, Message
from sotong.channels import accounts as channel_accounts
from sotong.channels.facebook.connector import FacebookConnector
from sotong.channels.webhooks import process_events
from sotong.db import session_factory
from sotong.orgs.models import Channel, ChannelAccount
from sotong.outbox.models import OutboxStatus
from sotong.outbox.transports import Delivery
from sotong.settings import Settings, get_settings, reset_settings_cache
from tests.channels.conftest import outbox
from tests.factories import World
from tests.fakes.graph import FakeGraph


@pytest.fixture
def clinic_account(session: Session, world: World, graph: FakeGraph) -> ChannelAccount:
    """송파구 보건소's Page: the same Meta app (same secret) as 송파구청's."""
    return channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.facebook,
        handle="songpa.health",
        department_id=world.roads.id,
        config={
            "page_id": graph.second_page_id,
            "page_access_token": graph.second_page_token,
            "app_secret": graph.app_secret,
            "verify_token": "songpa-verify-7f3a",
            "graph_url": graph.graph_url,
        },
    )


def _messages_of(session: Session, account: ChannelAccount) -> list[Message]:
    session.expire_all()
    return list(session.scalars(select(Message).where(Message.channel_account_id == account.id)))


def test_the_app_url_routes_each_entry_to_its_pages_account(
    session: Session,
    client: TestClient,
    graph: FakeGraph,
    facebook_account: ChannelAccount,
    clinic_account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    check = client.get(
        "/hooks/facebook",
        params={"hub.mode": "subscribe", "hub.verify_token": "songpa-verify-7f3a", "hub.challenge": "1158201444"},
    )
    assert check.status_code == 200 and check.text == "1158201444"
    road_id, road = graph.comment("석촌호수 앞 보도블럭이 깨졌어요")
    clinic_id, clinic = graph.comment("보건소 예방접종 예약이 안 돼요", page=graph.second_page_id, user_id="2002")
    body = graph.batch(road, clinic)

    response = client.post("/hooks/facebook", content=body, headers=graph.sign(body))

    assert response.status_code == 200 and response.json()["stored"] == 2
    assert [m.external_id for m in _messages_of(session, facebook_account)] == [road_id]
    assert [m.external_id for m in _messages_of(session, clinic_account)] == [clinic_id]
    deliver()  # each receipt with its own Page's token (the fake refuses another Page's)
    assert len(graph.replies_to(road_id)) == 1 and len(graph.replies_to(clinic_id)) == 1
    cases = session.scalars(select(Case).order_by(Case.id)).all()
    assert all(i.status is OutboxStatus.sent for c in cases for i in outbox(session, c.id))


def test_a_per_account_url_that_is_the_apps_callback_routes_the_other_pages_entries_too(
    session: Session,
    client: TestClient,
    graph: FakeGraph,
    facebook_account: ChannelAccount,
    clinic_account: ChannelAccount,
) -> None:
    clinic_id, clinic = graph.comment("보건소 주차장이 좁아요", page=graph.second_page_id)

    response = client.post(f"/hooks/facebook/{facebook_account.id}", content=clinic, headers=graph.sign(clinic))

    assert response.status_code == 200
    assert _messages_of(session, facebook_account) == []  # never stored (nor answered) as 송파구청's
    assert [m.external_id for m in _messages_of(session, clinic_account)] == [clinic_id]


def test_entries_of_a_page_no_account_has_are_refused(
    session: Session, client: TestClient, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    _, stranger = graph.comment("다른 페이지의 댓글", page="999000111222333")

    for url in ("/hooks/facebook", f"/hooks/facebook/{facebook_account.id}"):
        response = client.post(url, content=stranger, headers=graph.sign(stranger))
        assert response.status_code == 403 and "999000111222333" in response.json()["error"]
    assert _messages_of(session, facebook_account) == []

    road_id, road = graph.comment("가로등이 꺼졌어요")
    mixed = graph.batch(road, stranger)
    response = client.post("/hooks/facebook", content=mixed, headers=graph.sign(mixed))
    assert response.status_code == 200 and response.json() == {"stored": 1, "duplicates": 0, "refused": 1}
    assert [m.external_id for m in _messages_of(session, facebook_account)] == [road_id]


def test_photo_only_comments_and_messages_are_taken_in_with_their_photo(
    session: Session, client: TestClient, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    _, comment = graph.comment("", photo=True)
    _, message = graph.messenger("", photo=True, psid="7010")
    for body in (comment, message):
        response = client.post(f"/hooks/facebook/{facebook_account.id}", content=body, headers=graph.sign(body))
        assert response.status_code == 200 and response.json()["stored"] == 1

    messages = _messages_of(session, facebook_account)
    assert len(messages) == 2
    photos = session.scalars(select(Attachment).where(Attachment.message_id.in_([m.id for m in messages]))).all()
    assert sorted(p.message_id for p in photos) == sorted(m.id for m in messages)
    assert {p.content_type for p in photos} == {"image/jpeg"}


def test_the_retry_read_back_follows_pages_of_comments(
    session: Session, client: TestClient, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    comment_id, body = graph.comment("놀이터 미끄럼틀이 부서졌어요")
    client.post(f"/hooks/facebook/{facebook_account.id}", content=body, headers=graph.sign(body))
    [case] = session.scalars(select(Case)).all()
    delivery = Delivery.of(outbox(session, case.id)[0], attempt=1)
    first = FacebookConnector().send(delivery, session=session)  # its answer was lost on the way, say
    for n in range(150):  # the thread is busy: our reply is now beyond the newest 100 comments
        graph._object(f"{comment_id}_{n}", f"30{n}", "이웃", f"저도 봤어요 {n}", comment_id)

    again = FacebookConnector().send(dataclasses.replace(delivery, attempt=2), session=session)

    assert again == first and len(graph.replies_to(comment_id)) == 1


def test_in_queued_mode_another_pages_entry_is_queued_for_its_own_account(
    session: Session,
    settings: Settings,
    engine: Engine,
    graph: FakeGraph,
    facebook_account: ChannelAccount,
    clinic_account: ChannelAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOTONG_WEBHOOK_QUEUE", "true")
    reset_settings_cache()
    road_id, road = graph.comment("인도에 불법 주차된 차가 있어요")
    clinic_id, clinic = graph.comment("보건소 엘리베이터가 고장났어요", page=graph.second_page_id)
    body = graph.batch(road, clinic)

    with TestClient(create_app(settings=get_settings(), engine=engine)) as queued:
        response = queued.post(f"/hooks/facebook/{facebook_account.id}", content=body, headers=graph.sign(body))
    assert response.status_code == 200 and response.json()["stored"] == 2
    process_events(session_factory(engine))

    assert [m.external_id for m in _messages_of(session, facebook_account)] == [road_id]
    assert [m.external_id for m in _messages_of(session, clinic_account)] == [clinic_id]
