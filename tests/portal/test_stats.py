"""Statistics on a known small data set: volume per day/week/month and channel, on-time rate per department,
medians, top categories and 단순의견 answered; non-public, 공익신고 and hidden cases are never counted."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from sotong.portal import stats
from sotong.portal.stats import StatsQuery
from tests.factories import World
from tests.portal.stats_data import NOW, build_known_set

SEOUL = ZoneInfo("Asia/Seoul")


def compute(session: Session, **query: object) -> stats.Stats:
    return stats.compute(session, StatsQuery(**query), tz=SEOUL, now=NOW)  # type: ignore[arg-type]


def test_counts_exclude_non_public_whistleblower_and_hidden(session: Session, world: World) -> None:
    build_known_set(session, world)
    s = compute(session, period="30d", grain="day")
    assert s.total == 6  # a..f; the three excluded and the 40-day-old Seoul case are not counted
    assert s.answered == 3
    assert {r.key: r.value for r in s.by_channel} == {"x": 4, "web": 2}
    assert compute(session, period="all", grain="month").total == 7


def test_on_time_rate_per_department(session: Session, world: World) -> None:
    build_known_set(session, world)
    s = compute(session, period="30d", grain="day", org_id=world.songpa.id)
    rates = {r.label: (r.extra["on_time"], r.extra["decided"]) for r in s.on_time}
    # 도로과: a on time, b late, c past due unanswered (d is still inside its deadline: not counted).
    assert rates == {"도로과": (1, 3), "청소행정과": (1, 2)}
    assert s.on_time_overall == pytest.approx(2 / 5)
    both = compute(session, period="all", grain="month")
    labels = {r.label for r in both.on_time}
    assert labels == {"송파구 도로과", "송파구 청소행정과", "서울특별시 도로계획과"}  # organisation named when mixed


def test_medians_odd_and_even(session: Session, world: World) -> None:
    build_known_set(session, world)
    s = compute(session, period="30d", grain="day")
    assert s.median_first_reply_hours == pytest.approx(2.0)  # 1, 2, 3
    assert s.median_answer_hours == pytest.approx(10.0)  # 4, 10, 50
    everything = compute(session, period="all", grain="day")
    assert everything.median_first_reply_hours == pytest.approx(2.5)  # 1, 2, 3, 6
    assert everything.median_answer_hours == pytest.approx(15.0)  # 4, 10, 20, 50


def test_volume_buckets_are_local_days_weeks_from_monday_and_months(session: Session, world: World) -> None:
    build_known_set(session, world)
    days = {r.key: r.value for r in compute(session, period="7d", grain="day").volume}
    assert min(days) == "2026-11-14" and max(days) == "2026-11-20" and len(days) == 7  # every day, zeros included
    # c arrived at 16:00 UTC on the 19th: the 20th in Seoul.
    assert days == {
        "2026-11-14": 0,
        "2026-11-15": 1,
        "2026-11-16": 1,
        "2026-11-17": 1,
        "2026-11-18": 1,
        "2026-11-19": 0,
        "2026-11-20": 2,
    }
    weeks = {r.key: r.value for r in compute(session, period="30d", grain="week").volume if r.value}
    assert weeks == {"2026-11-09": 1, "2026-11-16": 5}  # Sunday the 15th belongs to the week of Monday the 9th
    months = {r.key: r.value for r in compute(session, period="all", grain="month").volume if r.value}
    assert months == {"2026-10-01": 1, "2026-11-01": 6}


def test_top_categories_and_simple_opinions(session: Session, world: World) -> None:
    known = build_known_set(session, world)
    s = compute(session, period="30d", grain="day")
    assert [(r.label, r.value) for r in s.top_categories] == [("도로 파손", 4), ("쓰레기 무단투기", 2)]
    assert (s.opinions_total, s.opinions_answered) == (2, 1)
    assert s.opinions_answered_share == pytest.approx(0.5)
    assert known.waste.name == "쓰레기 무단투기"


def test_empty_database_has_no_figures(session: Session, world: World) -> None:
    s = compute(session, period="30d", grain="day")
    assert s.total == 0 and s.on_time_overall is None and s.median_answer_hours is None
    assert s.opinions_answered_share is None and s.top_categories == []
    assert all(r.value == 0 for r in s.volume) and len(s.volume) == 30


def test_query_parsing_falls_back_to_defaults() -> None:
    q = StatsQuery.parse(period="bogus", grain="hour", org_id=None)
    assert (q.period, q.grain) == ("30d", "day")
    assert StatsQuery.parse(period="365d", grain=None, org_id=3) == StatsQuery("365d", "month", 3)
