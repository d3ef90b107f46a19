"""The report form's address search through the 도로명주소 API (the fake in tests/fakes/juso.py): roads found with
their coordinates (UTM-K turned into WGS84) and the organisation of their district; every refusal a Korean
sentence; the map pin named by its district."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sotong.channels.webform.juso import utmk_to_wgs84
from sotong.settings import Settings
from tests.factories import World
from tests.fakes import juso as fake_juso


@pytest.fixture
def juso(settings: Settings) -> Iterator[fake_juso.FakeJuso]:
    with fake_juso.running() as fake:
        settings.juso_search_url = fake.search_url
        settings.juso_search_key = fake.search_key
        settings.juso_coord_url = fake.coord_url
        settings.juso_coord_key = fake.coord_key
        yield fake


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat2 - lat1) * 111_320
    dx = (lon2 - lon1) * 111_320 * math.cos(math.radians(lat1))
    return math.hypot(dx, dy)


def test_utmk_of_seoul_city_hall() -> None:
    # Published UTM-K (EPSG:5179) of 서울특별시청's entrance, about (953,896 m, 1,952,009 m).
    lat, lon = utmk_to_wgs84(953_896.18, 1_952_009.36)
    assert _metres(lat, lon, 37.566295, 126.977945) < 1.0


def test_a_road_is_found_with_its_position_area_and_organisation(
    client: TestClient, world: World, juso: fake_juso.FakeJuso
) -> None:
    page = client.get("/report").text
    assert "data-address-search" in page
    response = client.get("/report/address", params={"q": "올림픽로 326"})
    assert response.status_code == 200
    (found,) = response.json()["results"]
    assert found["road"] == "서울특별시 송파구 올림픽로 326"
    assert found["jibun"].startswith("서울특별시 송파구 신천동 29-5")
    assert found["area"] == "송파구 올림픽로"
    assert found["org"] == "songpa"
    assert _metres(found["latitude"], found["longitude"], 37.514543, 127.105917) < 1.0
    search = juso.requests[0].query
    assert search["confmKey"] == [fake_juso.SEARCH_KEY] and search["resultType"] == ["json"]
    assert juso.requests[1].path == "/addrlink/addrCoordApi.do"


def test_a_district_without_its_own_organisation_goes_to_the_city(
    client: TestClient, world: World, juso: fake_juso.FakeJuso
) -> None:
    (found,) = client.get("/report/address", params={"q": "세종대로 110"}).json()["results"]
    assert found["org"] == "seoul"  # 중구 is not one of ours; 서울특별시 is


def test_without_a_coordinates_key_the_address_still_comes(
    client: TestClient, world: World, juso: fake_juso.FakeJuso, settings: Settings
) -> None:
    settings.juso_coord_key = None
    (found,) = client.get("/report/address", params={"q": "월드컵로 212"}).json()["results"]
    assert found["road"] == "서울특별시 마포구 월드컵로 212"
    assert found["latitude"] is None and found["longitude"] is None


@pytest.mark.parametrize(
    ("change", "query", "status", "words"),
    [
        ("bad key", "올림픽로 326", 502, "검색 승인키 문제"),
        ("down", "올림픽로 326", 502, "연결할 수 없습니다"),
        ("", "올", 422, "두 글자 이상"),
        ("", "   ", 422, "찾을 주소를 입력해 주세요"),
        ("", "올림픽로 <326>", 422, "특수문자를 빼고"),
    ],
)
def test_each_refusal_is_a_korean_sentence(
    client: TestClient,
    world: World,
    juso: fake_juso.FakeJuso,
    settings: Settings,
    change: str,
    query: str,
    status: int,
    words: str,
) -> None:
    if change == "bad key":
        settings.juso_search_key = "wrong-key"
    if change == "down":
        juso.down = True
    response = client.get("/report/address", params={"q": query})
    assert response.status_code == status
    assert words in response.json()["error"]


def test_an_unreachable_host_is_said_so(client: TestClient, world: World, settings: Settings) -> None:
    settings.juso_search_key = "some-key"
    settings.juso_search_url = "http://127.0.0.1:9/addrlink/addrLinkApi.do"  # nothing listens on the discard port
    response = client.get("/report/address", params={"q": "올림픽로 326"})
    assert response.status_code == 502
    assert "연결할 수 없습니다" in response.json()["error"]


def test_without_a_key_no_search_is_offered(client: TestClient, world: World) -> None:
    assert "data-address-search" not in client.get("/report").text
    response = client.get("/report/address", params={"q": "올림픽로 326"})
    assert response.status_code == 404 and "직접 적어 주세요" in response.json()["error"]


def test_a_pin_is_named_by_its_district_and_suggests_the_organisation(client: TestClient, world: World) -> None:
    assert client.get("/report/place", params={"lat": 37.5145, "lon": 127.1059}).json() == {
        "place": "송파구",
        "org": "songpa",
    }
    assert client.get("/report/place", params={"lat": 37.5663, "lon": 126.9019}).json() == {
        "place": "마포구",
        "org": "seoul",
    }
    assert client.get("/report/place", params={"lat": 35.1, "lon": 129.0}).json() == {"place": None, "org": None}
    assert client.get("/report/place", params={"lat": 137, "lon": 0}).status_code == 422
    assert client.get("/report/place", params={"lat": "north"}).status_code == 422


def test_the_map_is_served_from_the_app_and_tiles_only_when_configured(
    client: TestClient, world: World, settings: Settings
) -> None:
    page = client.get("/report")
    assert '<script src="/static/vendor/leaflet/leaflet.js"' in page.text
    assert 'data-tiles=""' in page.text  # the offline default: the district outlines, no tile requests
    assert "img-src 'self' data:;" in page.headers["content-security-policy"]
    assert "위도" not in page.text and 'name="latitude" value=""' in page.text  # a hidden field, no box
    leaflet = client.get("/static/vendor/leaflet/leaflet.js")
    assert leaflet.status_code == 200 and b"Leaflet 1.9" in leaflet.content[:200]
    assert client.get("/static/vendor/leaflet/images/marker-icon.png").status_code == 200
    settings.map_tile_url = "https://xdworld.vworld.kr/2d/Base/service/{z}/{x}/{y}.png"
    settings.map_tile_attribution = "© VWorld"
    vworld = client.get("/report")
    assert 'data-tiles="https://xdworld.vworld.kr/2d/Base/service/{z}/{x}/{y}.png"' in vworld.text
    assert "img-src 'self' data: https://xdworld.vworld.kr" in vworld.headers["content-security-policy"]
