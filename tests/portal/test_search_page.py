"""Searching from the list page: morphemes match whatever the particle, the count comes from the index."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.portal import service
from sotong.portal.service import PublicFilters
from tests.factories import World
from tests.portal.helpers import received, web_account


def _count(html: str) -> str | None:
    match = re.search(r'<p class="result-count">([^<]*)</p>', html)
    assert match
    return match.group(1).strip() or None


def test_search_finds_the_noun_under_its_particle(client: TestClient, session: Session, world: World) -> None:
    lamp = received(session, world, "우리 동네 가로등이 고장났어요")
    lamp2 = received(session, world, "가로등을 더 밝게 해 주세요", account=web_account(session, world))
    other = received(session, world, "보도블럭이 깨졌어요")
    page = client.get("/", params={"q": "가로등"})
    assert lamp.number in page.text and lamp2.number in page.text and other.number not in page.text
    assert _count(page.text) == "2건"
    filtered = client.get("/", params={"q": "가로등", "channel": "web"})
    assert lamp2.number in filtered.text and lamp.number not in filtered.text
    assert _count(filtered.text) is None  # a search with filters is not counted
    assert _count(client.get("/").text) == "3건"


def test_a_query_without_words(client: TestClient, session: Session, world: World) -> None:
    received(session, world, "가로등이 꺼졌어요")
    page = client.get("/", params={"q": "?!"})
    assert page.status_code == 200 and "검색할 낱말이 없습니다" in page.text
    assert service.list_cases(session, filters=PublicFilters(q="?!")).items == []


def test_count_stops_at_the_cap(session: Session, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "COUNT_CAP", 2)
    for i in range(4):
        received(session, world, f"가로등 {i}번째 민원")
    page = service.list_cases(session, filters=PublicFilters())
    assert page.total == 3 and page.total_capped
    searched = service.list_cases(session, filters=PublicFilters(q="가로등"))
    assert searched.total == 3 and searched.total_capped and len(searched.items) == 4


def test_search_pages_cover_every_match_once(session: Session, world: World) -> None:
    made = [received(session, world, f"{i}번 가로등이 꺼졌어요", minutes_ago=60 - i).number for i in range(5)]
    received(session, world, "보도블럭 민원")
    for filters in (PublicFilters(q="가로등"), PublicFilters(q="가로등", org_id=world.songpa.id)):
        seen: list[str] = []
        after = None
        while True:
            page = service.list_cases(session, filters=filters, after=after, page_size=2)
            seen += [c.number for c in page.items]
            if page.next_cursor is None:
                break
            after = page.next_cursor
        assert seen == list(reversed(made)), filters


def test_a_word_the_planner_expects_in_many_cases_is_not_counted_on_a_full_page(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "COUNT_CAP", 10)
    monkeypatch.setattr(service, "ESTIMATE_FACTOR", 0)  # whatever the planner expects counts as "many"
    for i in range(4):
        received(session, world, f"가로등 {i}번째 민원")
    full = service.list_cases(session, filters=PublicFilters(q="가로등"), page_size=2)
    if session.get_bind().dialect.name == "postgresql":
        assert full.total == 11 and full.total_capped  # "more than 10" on the planner's word, nothing counted
    else:
        assert full.total == 4  # FTS5 counts cheaply
    # A page that is not full shows every match: the count is exact whatever the planner says.
    assert service.list_cases(session, filters=PublicFilters(q="가로등"), page_size=10).total == 4
