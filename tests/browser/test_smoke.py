"""The browser harness itself: a staff member logs in through the real form; the public portal renders in Korean."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.factories import World
from tests.live_server import LiveServer


def test_staff_log_in_and_see_home(
    page: Page,
    live_server: LiveServer,
    world: World,
    staff_login: Callable[..., None],
    screenshot: Callable[[str], Path],
) -> None:
    staff_login(world.operator)
    expect(page.locator("main h1").first).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "ko"
    assert screenshot("staff-home").stat().st_size > 1000


def test_wrong_password_is_refused_in_the_browser(page: Page, live_server: LiveServer, world: World) -> None:
    page.goto(f"{live_server.url}/staff/login")
    page.fill("input[name=username]", world.operator.username)
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator("[role=alert]")).to_be_visible()
    assert "/staff/login" in page.url


def test_public_portal_renders(
    page: Page, live_server: LiveServer, world: World, screenshot: Callable[[str], Path]
) -> None:
    page.goto(live_server.url + "/")
    expect(page.locator("h1").first).to_be_visible()
    screenshot("portal-home")
