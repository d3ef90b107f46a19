"""The statistics page in a real browser: charts and the map render from our own files (no JS errors), the map
zooms and asks the server for finer clusters, and the period selector reloads the figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.factories import World
from tests.live_server import LiveServer
from tests.portal.stats_data import build_known_set, case_at

SPOTS = [(37.5093, 127.1002), (37.5095, 127.1004), (37.5147, 127.1059), (37.5663, 126.9779), (37.4979, 127.0276)]


def test_stats_page_renders_charts_and_map(
    page: Page, live_server: LiveServer, session: Session, world: World, screenshot: Callable[[str], Path]
) -> None:
    build_known_set(session, world)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    for lat, lon in SPOTS:
        case_at(session, world, received=now, latitude=lat, longitude=lon)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    page.goto(live_server.url + "/stats?period=all")
    expect(page.locator("h1")).to_have_text("민원 통계")
    expect(page.locator("svg.chart")).to_have_count(4)
    expect(page.locator("#chart-volume rect.column").first).to_be_visible()
    expect(page.locator("#case-map path.district")).to_have_count(25)
    clusters = page.locator("#case-map g.cluster")
    assert clusters.count() >= 3
    assert page.locator("[data-kpi=total]").inner_text() == "12"
    screenshot("stats")

    # The map's own script: zoom in on a cluster, and the server's finer clusters replace the overview ones.
    expect(page.locator("[data-map-tools]")).to_be_visible()
    with page.expect_response(lambda r: "/stats/map.json" in r.url) as info:
        page.click("[data-map-zoom=in]")
    assert info.value.status == 200
    body = info.value.json()
    assert sum(c["count"] for c in body["clusters"]) >= 1
    view_box = page.get_attribute("#case-map", "viewBox") or ""
    assert float(view_box.split()[2]) < 720  # zoomed in
    page.locator("#case-map").scroll_into_view_if_needed()
    screenshot("stats-map-zoomed")

    # Every request stayed on our own server: no CDN, no tile server by default.
    assert requests and all(u.startswith(live_server.url) for u in requests)

    # The period selector reloads the page by itself.
    with page.expect_navigation():
        page.select_option("#s-period", "7d")
    assert "period=7d" in page.url
    expect(page.locator("#s-period")).to_have_value("7d")

    # The data table alternative opens.
    page.locator("details.chart-data summary").first.click()
    expect(page.locator("details.chart-data table").first).to_be_visible()
