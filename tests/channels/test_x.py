"""A citizen tweets at @songpaOK and hears back in the thread; X's limits, deletions and webhooks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases.actions import Photo
from sotong.cases.models import Attachment, Case, Message
from sotong.channels.polling import poll_due
from sotong.channels.x.connector import XConnector, crc_response
from sotong.channels.x.poll import poll
from sotong.channels.x.text import weighted_length
from sotong.orgs.models import ChannelAccount
from sotong.outbox.models import OutboxStatus
from sotong.outbox.transports import Delivery, TransportError
from tests.channels.conftest import answer_case, outbox
from tests.factories import World
from tests.fakes.server import jpeg
from tests.fakes.x import FakeX, event_body


def _case(session: Session, account: ChannelAccount) -> Case:
    return session.scalars(select(Case).where(Case.channel_account_id == account.id)).one()


def test_mention_to_receipt_to_answer_in_the_thread(
    session: Session, world: World, x: FakeX, x_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    minji = x.user()
    tweet = x.mention("석촌호수 앞 보도블럭이 깨졌어요 <위험> & 미끄러움", author=minji, photos=2)
    x.mention("내 답글", author=x.me)  # our own tweet mentioning ourselves is never a complaint

    result = poll(session, account_id=x_account.id)

    assert result.taken.stored == 1 and result.since_id == max(x.tweets, key=int)
    case = _case(session, x_account)
    assert case.body == "@songpaOK 석촌호수 앞 보도블럭이 깨졌어요 <위험> & 미끄러움"
    assert case.author_handle == "@minji_kim"
    message = session.scalars(select(Message).where(Message.case_id == case.id)).one()
    assert [m["url"] for m in message.raw["media"]] == [
        f"{x.base_url}/media/{k}.jpg" for k in tweet["attachments"]["media_keys"]
    ]
    # The photos are fetched at intake and kept with the message (links on X may not last).
    photos = session.scalars(select(Attachment).where(Attachment.message_id == message.id)).all()
    assert [p.content_type for p in photos] == ["image/jpeg", "image/jpeg"]

    deliver()
    receipt = x.replies()[-1]
    assert receipt["referenced_tweets"] == [{"type": "replied_to", "id": tweet["id"]}]
    assert case.number in receipt["text"]
    assert outbox(session, case.id)[0].external_ref == receipt["id"]

    answer_case(session, world, case.id, "보수 계획을 안내드립니다. " * 40)
    deliver()

    answer = x.replies()[-1]
    assert answer["referenced_tweets"] == [{"type": "replied_to", "id": tweet["id"]}]
    assert answer["text"].startswith("@minji_kim ")  # X puts the handle replied to in front (not counted)
    expanded = answer["text"].removeprefix("@minji_kim ")
    for url in answer.get("entities", {}).get("urls", []):
        expanded = expanded.replace(url["url"], url["expanded_url"])
    assert weighted_length(expanded) <= 280 and "…" in expanded and f"/cases/{quote(case.number)}" in expanded
    assert [i.status for i in outbox(session, case.id)] == [OutboxStatus.sent, OutboxStatus.sent]
    assert len([t for t in x.replies() if t.get("referenced_tweets")]) == 2


def test_overlapping_polls_and_pages_make_one_message_each(
    session: Session, x: FakeX, x_account: ChannelAccount, factory: Callable[[], Session]
) -> None:
    for n in range(3):
        x.mention(f"가로등 고장 {n}번")
    poll(session, account_id=x_account.id)
    for n in range(150):
        x.mention(f"쓰레기 무단투기 {n}번")

    # An overlapping poll from a stale cursor re-reads the first three: intake drops the repeats.
    session.expire_all()
    x_account.config = {**x_account.config, "since_id": None}
    session.commit()
    again = poll(session, account_id=x_account.id)

    assert (again.taken.stored, again.taken.duplicates) == (150, 3)
    asked = [r for r in x.requests if r.path.endswith("/mentions")]
    assert asked[-1].query["pagination_token"] == ["p100"] and asked[-1].query["max_results"] == ["100"]
    cases = session.scalars(select(Case).where(Case.channel_account_id == x_account.id)).all()
    assert len(cases) == 153
    # The scheduled poll asks from the cursor, reads nothing new and keeps it.
    assert poll_due(factory, now=dt.datetime.now(dt.UTC)) >= 1
    newest = max(x.tweets, key=int)
    assert [r for r in x.requests if r.path.endswith("/mentions")][-1].query["since_id"] == [newest]
    session.expire_all()
    assert x_account.config["since_id"] == newest


def test_a_rate_limited_poll_backs_off_until_the_reset(
    session: Session, x: FakeX, x_account: ChannelAccount, factory: Callable[[], Session]
) -> None:
    x.mention("버스 정류장 의자가 없어요")
    x.exhaust(seconds=600)
    now = dt.datetime.now(dt.UTC)

    assert poll_due(factory, now=now) >= 1
    session.expire_all()
    poll_after = dt.datetime.fromisoformat(x_account.config["poll_after"])
    assert dt.timedelta(seconds=590) <= poll_after - now <= dt.timedelta(seconds=610)
    assert "429" in x_account.config["last_error"]
    asked = len(x.requests)
    poll_due(factory, now=now + dt.timedelta(seconds=120))  # due again, but the reset has not come
    assert len(x.requests) == asked


def test_a_rate_limited_reply_retries_at_the_reset_not_permanently(
    session: Session, x: FakeX, x_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    x.mention("하수구 악취가 심합니다")
    poll(session, account_id=x_account.id)
    case = _case(session, x_account)
    x.exhaust(seconds=300)

    before = dt.datetime.now(dt.UTC)
    deliver()

    item = outbox(session, case.id)[0]
    assert item.status is OutboxStatus.pending and "429" in (item.last_error or "")
    due = item.next_attempt_at.replace(tzinfo=item.next_attempt_at.tzinfo or dt.UTC)
    assert 280 <= (due - before).total_seconds() <= 310
    assert x.replies() == []


def test_a_deleted_tweet_fails_for_good_and_shows_on_the_case(
    session: Session, x: FakeX, x_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    tweet = x.mention("공원 벤치가 부서졌어요")
    poll(session, account_id=x_account.id)
    case = _case(session, x_account)
    x.delete(tweet["id"])

    deliver()

    item = outbox(session, case.id)[0]
    assert item.status is OutboxStatus.failed and "deleted" in (item.last_error or "")
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "outbox.failed")
    ).one()
    assert event.details["permanent"] is True


def test_a_retry_after_a_lost_response_posts_once(session: Session, x: FakeX, x_account: ChannelAccount) -> None:
    x.mention("신호등이 고장났어요")
    poll(session, account_id=x_account.id)
    delivery = Delivery.of(outbox(session, _case(session, x_account).id)[0], attempt=1)
    x.lose_next_post_response = True

    with pytest.raises(TransportError) as raised:
        XConnector().send(delivery, session=session)
    assert not raised.value.permanent
    again = XConnector().send(dataclasses.replace(delivery, attempt=2), session=session)

    assert len(x.replies()) == 1 and again == x.replies()[0]["id"]


def test_a_403_of_the_update_limits_waits_and_a_retry_posts_once(
    session: Session, x: FakeX, x_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    """X's 403 also means "denied due to update limits" for now: that one passes, a deleted tweet's does not."""
    x.mention("무단투기 쓰레기가 쌓여 있어요")
    poll(session, account_id=x_account.id)
    case = _case(session, x_account)
    x.over_update_limit = True

    deliver()

    item = outbox(session, case.id)[0]
    assert item.status is OutboxStatus.pending and "403" in (item.last_error or "")
    x.over_update_limit = False
    delivery = Delivery.of(item, attempt=2)
    assert XConnector().send(delivery, session=session) == x.replies()[-1]["id"]
    assert len(x.replies()) == 1


def test_a_revoked_token_is_permanent(session: Session, x: FakeX, x_account: ChannelAccount) -> None:
    x.mention("도로에 구멍이 있어요")
    poll(session, account_id=x_account.id)
    x.token = "rotated"
    with pytest.raises(TransportError) as raised:
        XConnector().send(Delivery.of(outbox(session, _case(session, x_account).id)[0], attempt=1), session=session)
    assert raised.value.permanent and "401" in raised.value.message


def test_webhook_crc_and_signed_events(
    session: Session, client: TestClient, x: FakeX, x_account: ChannelAccount
) -> None:
    crc = client.get(f"/hooks/x/{x_account.id}", params={"crc_token": "challenge-123"})
    assert crc.status_code == 200
    assert crc.json() == {"response_token": crc_response(x.consumer_secret, "challenge-123")}
    assert client.get(f"/hooks/x/{x_account.id}").status_code == 401

    body = event_body(x, x.mention("불법 주차 신고합니다"))
    url = f"/hooks/x/{x_account.id}"
    assert client.post(url, content=body).status_code == 401
    bad = client.post(url, content=body, headers={"x-twitter-webhooks-signature": x.signature(b"{}")})
    assert bad.status_code == 403
    ok = client.post(url, content=body, headers={"x-twitter-webhooks-signature": x.signature(body)})
    assert ok.status_code == 200 and ok.json()["stored"] == 1
    again = client.post(url, content=body, headers={"x-twitter-webhooks-signature": x.signature(body)})
    assert again.json()["duplicates"] == 1
    assert _case(session, x_account).author_handle == "@minji_kim"
    own = json.dumps(
        {
            "for_user_id": x.me["id"],
            "tweet_create_events": [
                {
                    "id_str": "1",
                    "created_at": "Mon Mar 02 09:00:00 +0000 2026",
                    "text": "우리 답변",
                    "user": {"id_str": x.me["id"], "screen_name": "songpaOK"},
                }
            ],
        }
    ).encode()
    mine = client.post(url, content=own, headers={"x-twitter-webhooks-signature": x.signature(own)})
    assert mine.json()["stored"] == 0
    # X signs the bytes it sends (UTF-8): Hangul, emoji and a non-breaking space arrive as they are.
    utf8 = event_body(x, x.mention("불법\u00a0주차 🚗 신고합니다"))
    assert "🚗".encode() in utf8  # as sent, not \\u escapes
    signed = client.post(url, content=utf8, headers={"x-twitter-webhooks-signature": x.signature(utf8)})
    assert signed.status_code == 200 and signed.json()["stored"] == 1
    broken = b"not json"
    assert (
        client.post(url, content=broken, headers={"x-twitter-webhooks-signature": x.signature(broken)}).status_code
        == 400
    )


def test_an_answer_with_result_photos_attaches_them_and_a_lost_response_still_posts_once(
    session: Session, world: World, x: FakeX, x_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    """The repaired pavement under the citizen's tweet; X's link to the photos does not fool the retry's read-back."""
    tweet = x.mention("석촌호수 앞 보도블럭이 깨졌어요")
    poll(session, account_id=x_account.id)
    case = _case(session, x_account)
    deliver()  # the receipt: no photo
    assert "attachments" not in x.replies()[-1]

    answer_case(session, world, case.id, "보도블럭을 교체했습니다.", photos=[Photo(jpeg(), "after.jpg")])
    answer_item = outbox(session, case.id)[-1]
    delivery = Delivery.of(answer_item, attempt=1)
    x.lose_next_post_response = True
    with pytest.raises(TransportError):
        XConnector().send(delivery, session=session)
    again = XConnector().send(dataclasses.replace(delivery, attempt=2), session=session)

    [answer] = [t for t in x.replies() if "보도블럭을 교체했습니다." in t["text"]]
    assert again == answer["id"]
    assert answer["referenced_tweets"] == [{"type": "replied_to", "id": tweet["id"]}]
    [key] = answer["attachments"]["media_keys"]
    [upload] = [u for u in x.uploads.values() if u["media_key"] == key]
    assert upload["data"] == jpeg()
