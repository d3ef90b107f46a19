"""Browser tests: the real app served by uvicorn on 127.0.0.1, driven by Playwright in Debian's chromium.

They run on PostgreSQL (production's database). `make test` installs chromium when absent
(scripts/ensure-chromium); a missing browser fails these tests, it never skips them.
Screenshots land in test-artifacts/screenshots/ (kept by CI as artefacts, ignored by git).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from sqlalchemy import Engine

from sotong.orgs.models import User
from sotong.settings import Settings
from tests.factories import PASSWORD
from tests.live_server import LiveServer

CHROMIUM = os.environ.get("SOTONG_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture
def db_url(pg_url: str) -> str:
    """Browser tests use PostgreSQL only (overrides the sqlite/postgresql parametrisation)."""
    return pg_url


@pytest.fixture
def live_server(settings: Settings, engine: Engine) -> Iterator[LiveServer]:
    server = LiveServer(settings, engine)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (scripts/ensure-chromium) to install it")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (own cookies) in Korean, as most citizens and staff use it."""
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    # A first page of a worker process may wait for the app's first templates and a cold chromium on a busy
    # two-core CI machine: navigation gets longer than clicks and fills do.
    context.set_default_navigation_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """Save a full-page screenshot as a test artefact: screenshot("inbox") → test-artifacts/screenshots/…png."""

    def take(name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{request.node.name}-{name}")
        path = ARTIFACTS / f"{safe}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def staff_login(page: Page, live_server: LiveServer) -> Callable[[User | str], None]:
    """Log a persona in through the real login form."""

    def login(user: User | str, password: str = PASSWORD) -> None:
        username = user if isinstance(user, str) else user.username
        page.goto(f"{live_server.url}/staff/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r".*/staff/?$"))

    return login
