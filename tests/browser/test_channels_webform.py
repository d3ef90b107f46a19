"""A citizen reports through the web form in a real browser: address search (the 도로명주소 fake), a map pin on
the Leaflet map (no tiles: the district outlines), a phone photo, the receipt; on a desktop and on a phone."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Attachment, Case
from sotong.settings import Settings
from tests.browser.conftest import LiveServer
from tests.channels.webform_support import jpeg_with_gps
from tests.factories import World
from tests.fakes import juso as fake_juso

PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def juso(settings: Settings) -> Iterator[fake_juso.FakeJuso]:
    with fake_juso.running() as fake:
        settings.juso_search_url = fake.search_url
        settings.juso_search_key = fake.search_key
        settings.juso_coord_url = fake.coord_url
        settings.juso_coord_key = fake.coord_key
        yield fake


def _case(session: Session, page: Page) -> Case:
    number = page.locator(".case-number")
    expect(number).to_have_text(re.compile(r"^\d{4}-송파-\d{6}$"), timeout=60_000)
    case = session.scalar(select(Case).where(Case.number == number.inner_text()))
    assert case is not None
    return case


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_citizen_finds_the_address_pins_the_map_adds_a_photo_and_gets_a_receipt(
    page: Page,
    live_server: LiveServer,
    world: World,
    session: Session,
    settings: Settings,
    juso: fake_juso.FakeJuso,
    tmp_path: Path,
    screenshot: Callable[[str], Path],
    viewport: str,
) -> None:
    # A script types faster than any person: the minimum fill time is tested in tests/channels/test_webform.py.
    settings.webform_min_fill_seconds = 0
    if viewport == "phone":
        page.set_viewport_size(PHONE)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    photo = tmp_path / "IMG_2041.JPG"
    photo.write_bytes(jpeg_with_gps(orientation=6))

    page.goto(f"{live_server.url}/report")
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("#r-org")).to_have_value("")  # several organisations, no default: the citizen's choice
    page.fill("#r-text", "잠실역 4번 출구 앞 보도블럭이 깨져서 걸려 넘어질 뻔했습니다.")

    # Address search: a wrong keyword first, then the road.
    page.fill("#r-address-q", "올")
    page.get_by_role("button", name="검색", exact=True).click()
    expect(page.locator("[data-address-results]")).to_contain_text("두 글자 이상")
    page.fill("#r-address-q", "올림픽로 240")
    page.keyboard.press("Enter")
    result = page.locator(".wf-result").first
    expect(result).to_contain_text("서울특별시 송파구 올림픽로 240")
    result.click()
    expect(page.locator("#r-address")).to_have_value("서울특별시 송파구 올림픽로 240")
    expect(page.locator("#r-org")).to_have_value("songpa")  # the address's district chose the 기관
    expect(page.locator("#r-category option")).to_have_text(["잘 모르겠어요", "도로 파손"])  # 송파구's only
    expect(page.locator("#r-lat")).to_have_value(re.compile(r"^37\.511\d+$"))
    expect(page.locator("[data-map-status]")).to_contain_text("송파구 올림픽로")

    # The pin, moved by a click on the map (the district outlines are drawn; no tile server).
    expect(page.locator(".leaflet-container path").first).to_be_attached()
    expect(page.locator(".wf-district-label", has_text="송파구")).to_be_visible()
    page.locator(".leaflet-marker-icon").wait_for()
    box = page.locator("[data-map-canvas]").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2 + 30, box["y"] + box["height"] / 2 + 20)
    expect(page.locator("#r-lat")).not_to_have_value(re.compile(r"^37\.511\d+$"))
    expect(page.locator("[data-map-status]")).to_contain_text("위치를 표시했습니다")
    pinned = float(page.locator("#r-lat").input_value())
    assert 37.4 < pinned < 37.6
    expect(page.locator("text=위도")).to_have_count(0)  # no raw coordinate boxes
    page.select_option("#r-category", "road-damage")
    page.set_input_files("#r-photos", str(photo))
    page.fill("#r-phone", "010-2345-6789")
    screenshot(f"form-{viewport}")
    # No waiting for the navigation in click(): the first case of a process loads the Korean morpheme model
    # for the search index, which takes a while on a busy machine.
    page.get_by_role("button", name="신청하기").click(no_wait_after=True)

    case = _case(session, page)
    # One secret to keep (the tracking link), a working copy button, the photo's arrival and the next steps.
    expect(page.locator("#receipt-url")).to_have_value(re.compile(r"/cases/\d{4}-.+\?t=[\w-]{22}$"))
    expect(page.locator(".receipt-photos")).to_contain_text("IMG_2041.jpg")
    expect(page.locator(".receipt-next")).to_contain_text("처리기한")
    page.get_by_role("button", name="주소 복사").click()
    expect(page.locator("[data-copy-status]")).to_have_text("주소를 복사했습니다.")
    screenshot(f"receipt-{viewport}")
    assert case.contact == {"phone": "010-2345-6789"}
    assert case.latitude is not None and abs(case.latitude - pinned) < 1e-5  # the pin, not the photo's GPS
    assert case.address == "서울특별시 송파구 올림픽로 240"
    assert session.scalar(select(Attachment.content_type)) == "image/jpeg"
    assert outside == []  # no tile, script or font from anywhere else

    page.locator("a.tracking-link").click()
    expect(page.locator("main")).to_contain_text(case.number)
    expect(page.locator(".case-place")).to_contain_text("송파구 올림픽로")
    assert "010-2345-6789" not in page.content()
    assert "올림픽로 240" not in page.content()  # the building number stays off the public page
    screenshot(f"case-{viewport}")


def test_the_map_pin_chooses_the_organisation_and_works_from_the_keyboard(
    page: Page, live_server: LiveServer, world: World, settings: Settings, screenshot: Callable[[str], Path]
) -> None:
    page.goto(f"{live_server.url}/report")
    expect(page.locator(".wf-district-label", has_text="송파구")).to_be_visible()
    canvas = page.locator("[data-map-canvas]")
    canvas.focus()
    for _ in range(3):
        page.keyboard.press("+")  # zoom in on the centre (서울시청 area, 중구)
    page.get_by_role("button", name="지도 가운데에 표시").click()
    expect(page.locator("#r-lat")).to_have_value(re.compile(r"^37\.5\d+$"))
    expect(page.locator("#r-org")).to_have_value("seoul")  # 중구 is not one of ours: the city is
    expect(page.locator("[data-map-status]")).to_contain_text("서울특별시")
    page.get_by_role("button", name="위치 지우기").click()
    expect(page.locator("#r-lat")).to_have_value("")
    screenshot("keyboard")
