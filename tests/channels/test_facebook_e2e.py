"""A citizen comments on 송파구청's Page (or writes on Messenger) and is answered there, in the same thread."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases.actions import Photo
from sotong.cases.models import Case
from sotong.orgs.models import ChannelAccount
from sotong.outbox.models import OutboxStatus
from tests.channels.conftest import answer_case, fall_silent, outbox
from tests.factories import World
from tests.fakes.graph import FakeGraph
from tests.fakes.server import jpeg


def _post(client: TestClient, graph: FakeGraph, account: ChannelAccount, body: bytes) -> None:
    response = client.post(f"/hooks/facebook/{account.id}", content=body, headers=graph.sign(body))
    assert response.status_code == 200, response.text


def _case(session: Session) -> Case:
    fall_silent(session)  # a Messenger citizen's conversation becomes its case once they stop writing
    session.expire_all()
    return session.scalars(select(Case)).one()


def test_comment_to_receipt_to_answer_under_the_comment(
    session: Session,
    world: World,
    client: TestClient,
    graph: FakeGraph,
    facebook_account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    comment_id, body = graph.comment("올림픽로 가로수가 쓰러져 차도를 막고 있습니다")
    _post(client, graph, facebook_account, body)
    case = _case(session)

    deliver()

    [receipt] = graph.replies_to(comment_id)
    assert case.number in receipt["message"] and f"/cases/{case.number}" in receipt["message"]
    calls = [r for r in graph.requests if r.method == "POST"]
    assert calls[-1].path == f"/v21.0/{comment_id}/comments" and calls[-1].query["access_token"] == [graph.page_token]
    assert outbox(session, case.id)[0].external_ref == receipt["id"]

    answer_case(session, world, case.id, "가로수를 치우고 도로를 개방했습니다.")
    deliver()

    replies = graph.replies_to(comment_id)
    assert len(replies) == 2 and "가로수를 치우고 도로를 개방했습니다." in replies[1]["message"]
    assert [i.status for i in outbox(session, case.id)] == [OutboxStatus.sent, OutboxStatus.sent]


def test_an_answer_with_a_result_photo_comments_with_the_photo(
    session: Session,
    world: World,
    client: TestClient,
    graph: FakeGraph,
    facebook_account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    comment_id, body = graph.comment("올림픽로 가로수가 쓰러져 차도를 막고 있습니다")
    _post(client, graph, facebook_account, body)
    case = _case(session)
    deliver()
    assert "photo" not in graph.replies_to(comment_id)[0]

    answer_case(session, world, case.id, "가로수를 치우고 도로를 개방했습니다.", photos=[Photo(jpeg(), "after.jpg")])
    deliver()

    answer = graph.replies_to(comment_id)[-1]
    assert "가로수를 치우고 도로를 개방했습니다." in answer["message"] and answer["photo"] == jpeg()


def test_a_reply_under_the_comment_is_a_follow_up(
    session: Session, client: TestClient, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    comment_id, body = graph.comment("쓰레기 무단투기 신고합니다")
    _post(client, graph, facebook_account, body)
    _, reply = graph.comment("오늘도 그대로입니다", parent_id=comment_id)

    _post(client, graph, facebook_account, reply)

    assert len(session.scalars(select(Case)).all()) == 1
    assert len(_case(session).messages) == 2


def test_messenger_to_receipt_to_answer_in_the_conversation(
    session: Session,
    world: World,
    client: TestClient,
    graph: FakeGraph,
    facebook_account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    _, body = graph.messenger("집 앞 맨홀 뚜껑이 흔들립니다", psid="7001")
    _post(client, graph, facebook_account, body)
    case = _case(session)

    deliver()
    answer_case(session, world, case.id, "맨홀 뚜껑을 고정했습니다.")
    deliver()

    assert [m["recipient"] for m in graph.sent_messages] == ["7001", "7001"]
    assert case.number in graph.sent_messages[0]["text"]
    assert "맨홀 뚜껑을 고정했습니다." in graph.sent_messages[1]["text"]


def test_a_deleted_comment_fails_for_good_on_the_case(
    session: Session, client: TestClient, graph: FakeGraph, facebook_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    comment_id, body = graph.comment("불법 현수막 신고")
    _post(client, graph, facebook_account, body)
    del graph.objects[comment_id]

    deliver()

    case = _case(session)
    item = outbox(session, case.id)[0]
    assert item.status is OutboxStatus.failed and "100/33" in (item.last_error or "")
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.failed")).one().case_id == case.id


def test_messenger_after_24_hours_is_a_human_agent_message_within_7_days(
    session: Session, client: TestClient, graph: FakeGraph, facebook_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    _, body = graph.messenger("민원입니다", psid="7002")
    _post(client, graph, facebook_account, body)
    fall_silent(session)
    graph.last_user_message["7002"] -= dt.timedelta(days=3)  # the officer answers three days later

    deliver()

    item = outbox(session, _case(session).id)[0]
    assert item.status is OutboxStatus.sent
    [sent] = graph.sent_messages
    assert sent["recipient"] == "7002" and sent["tag"] == "HUMAN_AGENT" and item.external_ref == sent["mid"]


def test_messenger_after_7_days_fails_for_good_telling_staff_to_reach_the_citizen_another_way(
    session: Session, client: TestClient, graph: FakeGraph, facebook_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    _, body = graph.messenger("민원입니다", psid="7003")
    _post(client, graph, facebook_account, body)
    fall_silent(session)
    graph.last_user_message["7003"] -= dt.timedelta(days=8)

    deliver()

    item = outbox(session, _case(session).id)[0]
    assert item.status is OutboxStatus.failed and "2018278" in (item.last_error or "")
    assert "reach the citizen another way" in (item.last_error or "")
    assert graph.sent_messages == []


def test_page_throttling_waits_as_long_as_facebook_says(
    session: Session, client: TestClient, graph: FakeGraph, facebook_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    comment_id, body = graph.comment("공원 화장실이 잠겨 있어요")
    _post(client, graph, facebook_account, body)
    graph.throttled_minutes = 7
    before = dt.datetime.now(dt.UTC)

    deliver()

    item = outbox(session, _case(session).id)[0]
    assert item.status is OutboxStatus.pending and "code 32" in (item.last_error or "")
    next_at = item.next_attempt_at if item.next_attempt_at.tzinfo else item.next_attempt_at.replace(tzinfo=dt.UTC)
    assert next_at - before >= dt.timedelta(minutes=7)
    assert graph.replies_to(comment_id) == []


@pytest.mark.parametrize("token", ["", "EAAB-expired"])
def test_a_bad_page_token_fails_for_good(
    session: Session,
    client: TestClient,
    graph: FakeGraph,
    facebook_account: ChannelAccount,
    deliver: Callable[[], int],
    token: str,
) -> None:
    _, body = graph.comment("보도 파손")
    _post(client, graph, facebook_account, body)
    facebook_account.config = {**facebook_account.config, "page_access_token": token}
    session.commit()

    deliver()

    item = outbox(session, _case(session).id)[0]
    assert item.status is OutboxStatus.failed
    assert ("page_access_token" if not token else "190") in (item.last_error or "")
