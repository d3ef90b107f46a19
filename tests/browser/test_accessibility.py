"""WCAG 2.1 A/AA checks by axe-core (shipped inside the `axe-playwright-python` package, no download) on every
main page, public and staff, desktop and phone, in Korean and English, with forms showing their errors too.

axe finds what a machine can: contrast, names and labels, roles, landmarks, ids, autocomplete values, language.
Keyboard flows and screen-reader wording are covered by the other browser tests; a person still reviews the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page
from sqlalchemy.orm import Session

from sotong.cases import links
from sotong.cases.models import CaseStatus
from tests.factories import World, case_in_status
from tests.live_server import LiveServer
from tests.portal.helpers import answered, received, web_account

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}

_axe = Axe()


def violations(page: Page) -> list[str]:
    """Each axe violation on the page as one readable line: rule, impact, where, why."""
    found: dict[str, Any] = _axe.run(page, options=WCAG_AA).response
    return [
        f"{page.url} {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in found["violations"]
    ]


def check(page: Page, url: str, *, submit: str | None = None) -> list[str]:
    """Open `url` (and submit the form `submit` empty, to see its error state) and return the violations."""
    page.goto(url)
    if submit:
        page.click(submit)
        page.wait_for_load_state()
    return violations(page)


def test_the_checker_finds_a_real_violation(page: Page, live_server: LiveServer) -> None:
    """The check can fail: an unlabelled field and grey-on-white text are reported."""
    page.goto(live_server.url + "/")
    page.evaluate(
        """() => {
        const input = document.createElement('input'); input.id = 'nameless';
        const faint = document.createElement('p'); faint.textContent = '흐린 글씨'; faint.style.color = '#ccc';
        document.querySelector('main').append(input, faint);
    }"""
    )
    found = " ".join(violations(page))
    assert "label" in found and "color-contrast" in found


@pytest.mark.parametrize("locale", ["ko-KR", "en-US"])
def test_public_pages_meet_wcag_aa(
    browser: Browser, live_server: LiveServer, session: Session, world: World, locale: str
) -> None:
    web_account(session, world)
    received(session, world, "아파트 앞 가로등이 밤새 꺼져 있어요", minutes_ago=30)
    case = answered(session, world, "도로에 포트홀이 생겼어요 010-1234-5678", "오늘 오후 긴급 보수를 마쳤습니다.")
    assert case.citizen_token
    token = links.link_token(case_number=case.number, citizen_token=case.citizen_token)
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()  # the language follows the browser's Accept-Language, as for a citizen
    base = live_server.url
    found = []
    for url in [f"{base}/", f"{base}/?q=가로등", f"{base}/stats", f"{base}/best", f"{base}/data", f"{base}/report"]:
        found += check(page, url)
    found += check(page, f"{base}/cases/{case.number}")
    found += check(page, f"{base}/cases/{case.number}?t={token}")  # with the rating and follow-up forms
    found += check(page, f"{base}/report", submit="form[data-report-form] button[type=submit]")
    page.set_viewport_size({"width": 390, "height": 844})
    for url in [f"{base}/", f"{base}/stats", f"{base}/cases/{case.number}?t={token}"]:
        found += check(page, url)
    context.close()
    assert found == []


def test_staff_pages_meet_wcag_aa(
    page: Page, live_server: LiveServer, session: Session, world: World, staff_login: Callable[..., None]
) -> None:
    case = case_in_status(session, world, CaseStatus.in_progress)
    base = live_server.url
    staff_login(world.admin)
    found = violations(page)
    for path in [
        "/staff/inbox",
        "/staff/queue",
        "/staff/cases",
        "/staff/notifications",
        f"/staff/cases/{case.number}",
        "/staff/admin",
        "/staff/admin/departments",
        "/staff/admin/users",
        f"/staff/admin/users/{world.officer.id}",
        "/staff/admin/categories",
        "/staff/admin/rules",
        "/staff/admin/sla",
        "/staff/admin/calendar",
        "/staff/admin/channels",
        f"/staff/admin/channels/{world.x_account.id}",
        "/staff/admin/templates",
        "/staff/admin/audit",
    ]:
        found += check(page, base + path)
    found += check(page, base + "/staff/admin/users", submit="form[action='/staff/admin/users'] button[type=submit]")
    # The form macro's extra attributes arrive as attributes, not as escaped text (autocomplete above, min here).
    page.goto(base + "/staff/admin/rules")
    assert page.locator("#f-priority").get_attribute("min") == "0"
    assert page.locator("#f-priority").get_attribute("inputmode") == "numeric"
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ["/staff/queue", f"/staff/cases/{case.number}"]:
        found += check(page, base + path)
    assert found == []
