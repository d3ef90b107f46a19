"""Graph has no idempotency key: a retried comment reply looks for the one an earlier attempt posted."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Case
from sotong.channels.facebook.connector import FacebookConnector
from sotong.orgs.models import ChannelAccount
from sotong.outbox.transports import Delivery
from tests.channels.conftest import outbox
from tests.fakes.graph import FakeGraph


def _receipt(session: Session, client: TestClient, graph: FakeGraph, account: ChannelAccount, body: bytes) -> Delivery:
    assert client.post(f"/hooks/facebook/{account.id}", content=body, headers=graph.sign(body)).status_code == 200
    session.expire_all()
    case = session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case is not None
    item = outbox(session, case.id)[0]
    return Delivery.of(item, attempt=1)  # as a worker's first claim would hand it over


def test_a_retry_after_a_lost_answer_does_not_post_twice(
    session: Session, client: TestClient, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    comment_id, body = graph.comment("횡단보도 도색이 지워졌어요")
    delivery = _receipt(session, client, graph, facebook_account, body)

    first = FacebookConnector().send(delivery, session=session)
    again = FacebookConnector().send(dataclasses.replace(delivery, attempt=2), session=session)

    assert first == again
    assert len(graph.replies_to(comment_id)) == 1


def test_a_retry_finds_the_reply_under_the_top_level_comment(
    session: Session, client: TestClient, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    top_id, _ = graph.comment("다른 시민의 댓글입니다", user_id="2009")
    reply_id, body = graph.comment("저도 같은 문제 신고합니다", parent_id=top_id)
    delivery = _receipt(session, client, graph, facebook_account, body)

    first = FacebookConnector().send(delivery, session=session)
    again = FacebookConnector().send(dataclasses.replace(delivery, attempt=2), session=session)

    assert first == again
    assert len(graph.replies_to(top_id)) == 1 and graph.replies_to(reply_id) == []


def test_a_retry_posts_when_the_earlier_attempt_did_not(
    session: Session, client: TestClient, graph: FakeGraph, facebook_account: ChannelAccount
) -> None:
    comment_id, body = graph.comment("가로등 점멸")
    delivery = _receipt(session, client, graph, facebook_account, body)

    FacebookConnector().send(dataclasses.replace(delivery, attempt=3), session=session)

    assert len(graph.replies_to(comment_id)) == 1
