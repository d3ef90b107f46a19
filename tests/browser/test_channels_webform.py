"""A citizen reports through the web form in a real browser: map pin, a phone photo, the receipt."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Attachment, Case
from sotong.settings import Settings
from tests.browser.conftest import LiveServer
from tests.channels.webform_support import jpeg_with_gps
from tests.factories import World


def test_citizen_submits_the_form_with_a_photo_and_gets_a_case_number(
    page: Page,
    live_server: LiveServer,
    world: World,
    session: Session,
    settings: Settings,
    tmp_path: Path,
    screenshot: Callable[[str], Path],
) -> None:
    # A script types faster than any person: the minimum fill time is tested in tests/channels/test_webform.py.
    settings.webform_min_fill_seconds = 0
    photo = tmp_path / "IMG_2041.JPG"
    photo.write_bytes(jpeg_with_gps(orientation=6))

    page.goto(f"{live_server.url}/report?org=songpa")
    expect(page.locator("main h1")).to_be_visible()
    page.select_option("#r-org", "songpa")
    page.select_option("#r-category", "road-damage")
    page.fill("#r-text", "잠실역 4번 출구 앞 보도블럭이 깨져서 걸려 넘어질 뻔했습니다.")
    page.fill("#r-address", "서울 송파구 잠실동 잠실역 4번 출구")
    canvas = page.locator("[data-map-canvas]")
    expect(canvas).to_be_visible()  # the locally drawn map (no tile server)
    canvas.click(position={"x": 400, "y": 200})
    expect(page.locator("#r-lat")).to_have_value(re.compile(r"^37\.\d+$"))
    expect(page.locator("#r-lon")).to_have_value(re.compile(r"^127\.\d+$"))
    expect(page.locator("#r-website")).not_to_be_in_viewport()  # the honeypot stays out of sight
    page.set_input_files("#r-photos", str(photo))
    page.fill("#r-phone", "010-2345-6789")
    screenshot("form")
    # No waiting for the navigation in click(): the first case of a process loads the Korean morpheme model
    # for the search index, which takes a while on a busy machine.
    page.get_by_role("button", name="신청하기").click(no_wait_after=True)

    number = page.locator(".case-number")
    expect(number).to_have_text(re.compile(r"^\d{4}-송파-\d{6}$"), timeout=60_000)
    # One secret to keep (the tracking link), a working copy button, the photo's arrival and the next steps.
    expect(page.locator("#receipt-url")).to_have_value(re.compile(r"/cases/\d{4}-.+\?t=[\w-]{22}$"))
    expect(page.locator(".receipt-photos")).to_contain_text("IMG_2041.jpg")
    expect(page.locator(".receipt-next")).to_contain_text("처리기한")
    page.get_by_role("button", name="주소 복사").click()
    expect(page.locator("[data-copy-status]")).to_have_text("주소를 복사했습니다.")
    screenshot("receipt")
    case = session.scalar(select(Case).where(Case.number == number.inner_text()))
    assert case is not None
    assert case.contact == {"phone": "010-2345-6789"}
    assert case.latitude is not None and 37.4 < case.latitude < 37.8  # the pin, not the photo's GPS
    assert case.latitude != 37.51
    assert session.scalar(select(Attachment.content_type)) == "image/jpeg"

    page.locator("a.tracking-link").click()
    expect(page.locator("main")).to_contain_text(case.number)
    assert "010-2345-6789" not in page.content()
