"""The public list: newest first, only publicly listed cases, filters, keyset pages, the live endpoint."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import ComplaintType, RejectReason
from sotong.portal import service
from sotong.portal.service import ChannelGroup, Cursor, PublicFilters, PublicStatus
from tests.factories import World
from tests.portal.helpers import answered, received, web_account

SEOUL = ZoneInfo("Asia/Seoul")


def _numbers(session: Session, filters: PublicFilters | None = None) -> list[str]:
    return [c.number for c in service.list_cases(session, filters=filters or PublicFilters()).items]


def test_newest_first_and_only_publicly_listed(session: Session, world: World) -> None:
    op = world.actor(world.operator)
    old = received(session, world, "오래된 민원 보도블럭", minutes_ago=60)
    new = received(session, world, "새 민원 가로등", minutes_ago=1)
    private = received(session, world, "비공개 민원", minutes_ago=2)
    whistle = received(session, world, "공익신고 민원", minutes_ago=3)
    spam = received(session, world, "광고 민원", minutes_ago=4)
    actions.triage(session, actor=op, case_id=private.id, complaint_type=ComplaintType.other, is_public=False)
    actions.triage(session, actor=op, case_id=whistle.id, complaint_type=ComplaintType.other, is_whistleblower=True)
    actions.reject(session, actor=op, case_id=spam.id, reason=RejectReason.advertising)
    assert _numbers(session) == [new.number, old.number]


def test_filters(session: Session, world: World) -> None:
    sns = received(session, world, "도로가 파였어요", minutes_ago=5)
    web = received(
        session,
        world,
        "누리집으로 보낸 민원: 공원 벤치가 부서졌어요",
        minutes_ago=4,
        account=web_account(session, world),
    )
    done = answered(session, world, "포트홀 신고", "보수했습니다", minutes_ago=3)
    seoul = received(
        session, world, "서울시 민원: 버스 배차 간격이 너무 길어요", minutes_ago=2, account=world.seoul_x_account
    )
    assert _numbers(session, PublicFilters(channel_group=ChannelGroup.web)) == [web.number]
    assert set(_numbers(session, PublicFilters(channel_group=ChannelGroup.sns))) == {
        sns.number,
        done.number,
        seoul.number,
    }
    assert _numbers(session, PublicFilters(status=PublicStatus.answered)) == [done.number]
    assert _numbers(session, PublicFilters(category_id=world.pothole.id)) == [done.number]
    assert _numbers(session, PublicFilters(department_id=world.roads.id)) == [done.number]
    assert _numbers(session, PublicFilters(org_id=world.seoul.id)) == [seoul.number]
    today = dt.datetime.now(dt.UTC).date()
    assert len(_numbers(session, PublicFilters(received_from=today - dt.timedelta(days=1)))) == 4
    assert _numbers(session, PublicFilters(received_to=today - dt.timedelta(days=2))) == []


def test_keyset_pages_cover_everything_once(session: Session, world: World) -> None:
    made = [received(session, world, f"민원 {i}번째 가로등", minutes_ago=30 - i).number for i in range(7)]
    seen: list[str] = []
    after: Cursor | None = None
    while True:
        page = service.list_cases(session, filters=PublicFilters(), after=after, page_size=3)
        seen += [c.number for c in page.items]
        if page.next_cursor is None:
            break
        after = Cursor.decode(page.next_cursor.encode())
    assert seen == list(reversed(made))


def test_list_page_filters_by_query_parameters(client: TestClient, session: Session, world: World) -> None:
    received(session, world, "누리집 민원입니다: 공원 벤치가 부서졌어요", account=web_account(session, world))
    received(session, world, "트위터 민원입니다: 골목 가로등이 꺼졌어요")
    page = client.get("/", params={"channel": "web"})
    assert page.status_code == 200
    assert (
        "누리집 민원입니다: 공원 벤치가 부서졌어요" in page.text
        and "트위터 민원입니다: 골목 가로등이 꺼졌어요" not in page.text
    )
    bad = client.get("/", params={"channel": "nonsense", "from": "not-a-date", "after": "x.y"})
    assert bad.status_code == 200  # malformed filters are ignored, not errors
    assert "트위터 민원입니다: 골목 가로등이 꺼졌어요" in bad.text


def test_older_link_pages_on(client: TestClient, session: Session, world: World) -> None:
    for i in range(service.PAGE_SIZE + 2):
        received(session, world, f"민원 번호 {i:02d} 입니다", minutes_ago=100 - i)
    first = client.get("/")
    assert "민원 번호 21 입니다" in first.text and "민원 번호 01 입니다" not in first.text
    assert 'rel="next"' in first.text
    cursor = first.text.split('rel="next"')[0].rsplit("after=", 1)[1].split('"')[0]
    second = client.get("/", params={"after": cursor})
    assert "민원 번호 01 입니다" in second.text and "민원 번호 21 입니다" not in second.text


def test_live_endpoint_returns_only_newer_matching_cases(client: TestClient, session: Session, world: World) -> None:
    first = received(session, world, "처음 민원", minutes_ago=10)
    since = Cursor.of(first).encode()
    assert client.get("/portal/latest.json", params={"since": since}).json()["items"] == []
    newer = received(session, world, "방금 들어온 가로등 민원", minutes_ago=0)
    private = received(session, world, "방금 들어온 비공개 민원", minutes_ago=0)
    actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=private.id,
        complaint_type=ComplaintType.other,
        is_public=False,
    )
    body = client.get("/portal/latest.json", params={"since": since}).json()
    assert [i["number"] for i in body["items"]] == [newer.number]
    assert body["items"][0]["text"] == "방금 들어온 가로등 민원"
    assert body["items"][0]["received_label"] == newer.received_at.astimezone(SEOUL).strftime("%Y-%m-%d %H:%M")
    assert body["announce"]
    assert body["top"] == Cursor.of(newer).encode()
    assert client.get("/portal/latest.json", params={"since": since, "channel": "web"}).json()["items"] == []
