"""The statistics page over HTTP: charts as inline SVG with data tables, the period selector, the map of
clusters over the district outlines, and the per-process cache that is never more than 60 s stale."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session

from sotong.portal import stats
from sotong.settings import Settings
from tests.factories import World
from tests.portal.helpers import another_process
from tests.portal.stats_data import NOW, build_known_set, case_at


def kpi(html: str, name: str) -> str:
    match = re.search(rf'data-kpi="{name}">([^<]*)<', html)
    assert match, f"no KPI {name}"
    return match.group(1)


def test_page_renders_charts_tables_and_selector(client: TestClient, session: Session, world: World) -> None:
    build_known_set(session, world)
    page = client.get("/stats?period=all&grain=month")
    assert page.status_code == 200
    html = page.text
    assert kpi(html, "total") == "7"
    assert kpi(html, "opinions") == "50.0%"
    assert html.count('<svg class="chart"') == 4  # volume, channel, categories, on-time
    assert 'role="img"' in html and "<table>" in html
    assert "2026-11-01" in html and "2026-10-01" in html  # monthly buckets in the table
    assert "도로 파손" in html and "쓰레기 무단투기" in html
    assert '<option value="all" selected>' in html and '<option value="month" selected>' in html
    assert "비공개 요청 민원" not in html and "공익신고 민원" not in html
    assert "style=" not in html  # the CSP forbids inline styles
    assert page.headers["cache-control"].startswith("public")


def test_organisation_filter(client: TestClient, session: Session, world: World) -> None:
    build_known_set(session, world)
    assert kpi(client.get("/stats?period=all&org=seoul").text, "total") == "1"
    assert kpi(client.get("/stats?period=all&org=songpa").text, "total") == "6"
    assert kpi(client.get("/stats?period=all&org=nowhere").text, "total") == "7"  # unknown: everything


def test_map_draws_districts_and_coarse_clusters(client: TestClient, session: Session, world: World) -> None:
    for i in range(3):  # three complaints within a few metres of each other at 석촌호수
        case_at(session, world, received=NOW, latitude=37.50930 + i * 0.00001, longitude=127.10020)
    case_at(session, world, received=NOW, latitude=37.5663, longitude=126.9779)  # 시청 앞
    case_at(session, world, received=NOW, latitude=35.1796, longitude=129.0756)  # 부산: outside the map
    html = client.get("/stats?period=all").text
    svg = html[html.index('id="case-map"') :]
    assert svg.count('class="district') == 25
    assert 'class="river"' in svg
    assert len(re.findall(r'<g class="cluster">', svg)) == 2
    assert ">3</text>" in svg  # the three nearby complaints are one cluster
    assert "37.5093" not in html and "127.1002" not in html  # no exact coordinate in the page
    data = client.get("/stats/map.json?period=all&cell=0.00001").json()
    assert data["cell_degrees"] >= stats.COARSE_LAT  # never finer than the public ~50 m grid
    spots = {(c["latitude"], c["longitude"]) for c in data["clusters"]}
    for lat, lon in spots:
        assert (lat, lon) == stats.coarsen(lat, lon)  # centres sit on the public grid
        assert (lat, lon) != (37.5093, 127.1002)
    assert sum(c["count"] for c in data["clusters"]) == 5
    west_only = client.get("/stats/map.json?period=all&bbox=126.9,37.5,127.0,37.6").json()
    assert sum(c["count"] for c in west_only["clusters"]) == 1
    assert client.get("/stats/map.json?bbox=1,2").status_code == 422


def test_figures_are_cached_but_never_more_than_the_ttl_stale(
    make_client: Callable[..., TestClient], session: Session, world: World
) -> None:
    now = [1000.0]
    c = make_client({"stats_cache_seconds": "60"})
    c.app.state.opendata_cache = stats.TTLCache(60, clock=lambda: now[0])  # type: ignore[attr-defined]
    c.app.state.page_cache.clock = lambda: now[0]  # type: ignore[attr-defined]  # the page cache in front, too
    case_at(session, world, received=NOW)
    other = case_at(session, world, received=NOW, is_whistleblower=True)  # not counted
    assert kpi(c.get("/stats?period=all").text, "total") == "1"
    # Changed behind the actions' back (a direct database edit: the public generation does not move, unlike a
    # release or hiding in another process, tests/portal/test_cache_across_processes.py): kept until the TTL.
    with another_process():
        other.is_whistleblower = False
        session.commit()
    now[0] += 59.9
    assert kpi(c.get("/stats?period=all").text, "total") == "1"  # served from the cache
    now[0] += 0.1
    assert kpi(c.get("/stats?period=all").text, "total") == "2"  # 60 s on: computed again


def test_cache_computes_once_per_key_and_expires() -> None:
    now = [0.0]
    calls: list[str] = []
    cache = stats.TTLCache(10, clock=lambda: now[0], max_entries=2)

    def compute(key: str) -> Callable[[], str]:
        def run() -> str:
            calls.append(key)
            return key

        return run

    assert cache.get("a", compute("a")) == "a"
    assert cache.get("a", compute("a")) == "a"
    assert calls == ["a"]
    now[0] = 10
    cache.get("a", compute("a"))
    assert calls == ["a", "a"]
    cache.get("b", compute("b"))
    cache.get("c", compute("c"))  # full: the oldest goes
    assert len(cache._values) <= 2


def test_staleness_bound_is_enforced_by_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOTONG_STATS_CACHE_SECONDS", "61")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("SOTONG_STATS_CACHE_SECONDS", "0")
    assert Settings().stats_cache_seconds == 0


def test_tile_server_is_allowed_by_the_page_csp_only_when_configured(
    make_client: Callable[..., TestClient], world: World
) -> None:
    plain = make_client().get("/stats")
    assert "tiles.example.org" not in plain.headers["content-security-policy"]
    tiled = make_client({"map_tile_url": "https://tiles.example.org/{z}/{x}/{y}.png"}).get("/stats")
    assert "img-src 'self' data: https://tiles.example.org" in tiled.headers["content-security-policy"]
    assert 'data-tiles="https://tiles.example.org/{z}/{x}/{y}.png"' in tiled.text


def test_english_page(client: TestClient, world: World) -> None:
    html = client.get("/stats?lang=en").text
    assert "Complaint statistics" in html and "Map of located complaints" in html
    assert '<a href="/stats">Statistics</a>' in html  # reachable from every public page's menu


def test_figures_are_refreshed_ahead_of_expiry_without_making_a_visitor_wait() -> None:
    now = [0.0]
    values = iter(["first", "second", "third"])
    cache = stats.TTLCache(60, clock=lambda: now[0], refresh_after=40, spawn=lambda work: work())
    assert cache.get_stamped("k", lambda: next(values), refresh=True) == (0.0, "first")
    now[0] = 39
    assert cache.get_stamped("k", lambda: next(values), refresh=True) == (0.0, "first")  # young: no work
    now[0] = 41
    # Served the value in hand (still within 60 s); its successor computed meanwhile (here: at once).
    assert cache.get_stamped("k", lambda: next(values), refresh=True) == (0.0, "first")
    assert cache.get_stamped("k", lambda: next(values), refresh=True) == (41.0, "second")
    now[0] = 101
    assert cache.get_stamped("k", lambda: next(values)) == (101.0, "third")  # expired: computed in the request
