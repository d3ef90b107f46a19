"""An officer turns two-factor sign-in on from their own security page in the browser (QR code, confirming code,
recovery codes), then signs in with the app's code on the desktop and with a recovery code on a phone."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pyotp
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer
from tests.factories import PASSWORD, World


def _password(page: Page, live_server: LiveServer, username: str) -> None:
    page.goto(f"{live_server.url}/staff/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/staff/login/code"))


def test_enrol_then_sign_in_with_a_code_and_with_a_recovery_code(
    page: Page,
    browser: Browser,
    live_server: LiveServer,
    world: World,
    staff_login: Callable[..., None],
    screenshot: Callable[[str], Path],
) -> None:
    staff_login(world.officer)
    page.get_by_role("link", name=re.compile(world.officer.display_name)).click()
    expect(page.locator("main h1")).to_have_text("내 보안 설정")
    page.get_by_role("button", name="2단계 인증 켜기").click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text())
    screenshot("enrol")
    page.get_by_label("인증 코드").fill(totp.now())
    page.get_by_role("button", name="확인하고 켜기").click()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    expect(page.locator("#two-factor-state")).to_contain_text("사용하고 있습니다")
    screenshot("recovery-codes")

    # Desktop: the app's next code.
    page.context.clear_cookies()
    _password(page, live_server, world.officer.username)
    page.get_by_label("인증 코드").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="확인").click()
    page.wait_for_url(re.compile(r".*/staff/?$"))

    # A phone (390 × 844) without the app: a recovery code, as printed.
    phone = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    try:
        mobile = phone.new_page()
        mobile.set_default_navigation_timeout(30_000)
        _password(mobile, live_server, world.officer.username)
        expect(mobile.get_by_text("복구 코드 하나를 입력하세요")).to_be_visible()
        mobile.get_by_label("인증 코드").fill(codes[0])
        mobile.get_by_role("button", name="확인").click()
        mobile.wait_for_url(re.compile(r".*/staff/?$"))
        mobile.goto(f"{live_server.url}/staff/account/security")
        expect(mobile.get_by_text("9개 남았습니다")).to_be_visible()
    finally:
        phone.close()
