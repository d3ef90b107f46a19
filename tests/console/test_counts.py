"""Counts on console pages stop at a limit ("1,000+") instead of reading every matching case; the pagers still
offer the next page beyond the limit."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import Case, ComplaintType
from sotong.console import counts
from sotong.console.counts import Count, bounded_count, bounded_counts
from tests.factories import World, new_case
from tests.web.conftest import login


def _routed(session: Session, world: World, n: int) -> list[Case]:
    routed = []
    for _ in range(n):
        case = new_case(session, world, received_at=dt.datetime.now(dt.UTC))
        routed.append(
            actions.triage(
                session,
                actor=world.actor(world.operator),
                case_id=case.id,
                complaint_type=ComplaintType.grievance,
                category_id=world.pothole.id,
            )
        )
    return routed


def test_a_count_stops_one_past_the_limit(session: Session, world: World) -> None:
    _routed(session, world, 4)
    everything = select(Case).where(Case.org_id == world.songpa.id)
    assert bounded_count(session, everything, limit=10) == Count(4)
    assert bounded_count(session, everything, limit=3) == Count(3, capped=True)
    both = bounded_counts(
        session, {"all": everything, "none": everything.where(Case.id < 0)}, limit=2, limits={"none": 5}
    )
    assert both == {"all": Count(2, capped=True), "none": Count(0)}
    assert str(Count(1000, capped=True)) == "1,000+" and f"{Count(1234)}" == "1,234"
    assert not Count(0) and Count(1)


def test_queue_says_more_than_the_limit_and_still_pages(
    client: TestClient, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counts, "COUNT_LIMIT", 2)
    monkeypatch.setattr("sotong.console.queue.PAGE_SIZE", 2)
    _routed(session, world, 5)
    login(client, world.manager)
    page = client.get("/staff/queue")
    assert page.status_code == 200
    assert "<strong>2+</strong>" in page.text  # open cases, and unassigned: counted up to the limit
    assert "2+건" in page.text
    assert 'href="/staff/queue?page=2"' in page.text
    third = client.get("/staff/queue?page=3")  # past the limit: the total is counted just past this page
    rows = re.findall(r'<a (?:class="case-number" )?href="/staff/cases/([^"]+)">', third.text)
    assert len(rows) == 1
    assert "page=4" not in third.text


def test_case_list_and_inbox_say_more_than_the_limit(
    client: TestClient, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counts, "COUNT_LIMIT", 2)
    monkeypatch.setattr("sotong.console.views.PAGE_SIZE", 1)
    for _ in range(4):
        new_case(session, world)
    login(client, world.operator)
    listing = client.get("/staff/cases")
    assert "2+건" in listing.text and "1 / 2+ 페이지" in listing.text
    inbox = client.get("/staff/inbox")
    assert "분류 대기 2+건" in inbox.text
    poll = client.get("/staff/inbox/updates?since=0").json()
    assert poll["waiting"] == 2 and poll["waiting_label"] == "2+"
    home = client.get("/staff/")
    assert '<span class="count">2+</span>' in home.text  # 접수: four cases, counted up to two
