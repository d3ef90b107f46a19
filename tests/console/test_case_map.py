"""The staff case page shows where the case is on the district map the portal serves itself (no tiles, no
outside requests), starting zoomed around the case; a location outside the map, or none, draws no map."""

from __future__ import annotations

import dataclasses
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import Case
from sotong.web.maps import map_view, mercator
from tests.factories import World, inbound
from tests.web.conftest import login


def _located(session: Session, world: World, latitude: float, longitude: float) -> Case:
    message = dataclasses.replace(inbound(), latitude=latitude, longitude=longitude)
    return actions.receive_message(session, account_id=world.x_account.id, inbound=message).case


def test_the_case_page_marks_the_case_on_the_district_map(client: TestClient, session: Session, world: World) -> None:
    case = _located(session, world, 37.514573, 127.105981)  # 송파구, by 석촌호수
    login(client, world.operator)
    page = client.get(f"/staff/cases/{case.number}")
    assert page.status_code == 200
    html = page.text
    assert '<svg class="map" id="case-map"' in html
    assert '<script src="/static/map.js" defer></script>' in html
    marker = re.search(
        r'<g class="map-marker" data-lat="([0-9.]+)" data-lon="([0-9.]+)"><circle cx="([0-9.]+)" cy="([0-9.]+)"', html
    )
    assert marker is not None
    assert marker.groups()[:2] == ("37.514573", "127.105981")
    base = map_view([])
    mx, my = mercator(127.105981, 37.514573)
    assert float(marker.group(3)) == round((mx - base.origin[0]) * base.scale, 1)
    assert float(marker.group(4)) == round((my - base.origin[1]) * base.scale, 1)
    view = re.search(r'data-view="([0-9. ]+)"', html)
    assert view is not None
    left, top, width, height = (float(v) for v in view.group(1).split())
    assert left < float(marker.group(3)) < left + width and top < float(marker.group(4)) < top + height
    assert width < base.width  # zoomed in around the case
    assert "송파구" in html  # the districts are drawn, named
    assert "data-clusters-url" not in html and "http" not in re.sub(r'href="https://[^"]+"', "", html.split("<svg")[1])


def test_no_map_without_a_location_inside_the_outlines(client: TestClient, session: Session, world: World) -> None:
    busan = _located(session, world, 35.1796, 129.0756)
    nowhere = _located(session, world, 0, 0)
    login(client, world.operator)
    outside = client.get(f"/staff/cases/{busan.number}").text
    assert 'id="case-map"' not in outside and "35.179600, 129.075600" in outside
    assert "서울 자치구 지도 밖의 위치" in outside
    unknown = client.get(f"/staff/cases/{nowhere.number}").text
    assert 'id="case-map"' not in unknown


def test_an_officer_of_another_department_still_gets_no_case_page(
    client: TestClient, session: Session, world: World
) -> None:
    case = _located(session, world, 37.514573, 127.105981)  # received: at the desk, no department yet
    login(client, world.cleaning_officer)
    assert client.get(f"/staff/cases/{case.number}").status_code == 404
