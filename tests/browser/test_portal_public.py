"""The public portal in a real browser: list, filters, Korean search, live updates, a case page with the
citizen's rating and follow-up by receipt token, tracking by number; desktop and phone screenshots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, ViewportSize, expect
from sqlalchemy.orm import Session

from sotong.cases import links
from sotong.cases.models import CaseStatus
from tests.factories import World
from tests.live_server import LiveServer
from tests.portal.helpers import answered, received, web_account

PHONE: ViewportSize = {"width": 390, "height": 844}

UNLABELLED = """() => Array.from(document.querySelectorAll('main input:not([type=hidden]), main select, main textarea'))
  .filter(el => !(el.id && document.querySelector('label[for="' + el.id + '"]')) && !el.closest('label'))
  .map(el => el.name)"""


def test_list_filter_search_and_live_update(
    page: Page, live_server: LiveServer, session: Session, world: World, screenshot: Callable[[str], Path]
) -> None:
    lamp = received(session, world, "아파트 앞 가로등이 밤새 꺼져 있어요", minutes_ago=30)
    web = received(
        session, world, "보도블럭이 깨져서 넘어질 뻔했어요", minutes_ago=20, account=web_account(session, world)
    )
    answered(session, world, "도로에 포트홀이 생겼어요", "오늘 오후 긴급 보수를 마쳤습니다.", minutes_ago=10)
    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_have_text("공개 민원")
    expect(page.locator(".pcase")).to_have_count(3)
    assert page.evaluate(UNLABELLED) == []
    screenshot("portal-list")

    page.click("summary")  # 상세 조건
    page.select_option("#p-channel", "web")
    page.click(".pfilter-actions button")
    expect(page.locator(".pcase")).to_have_count(1)
    expect(page.locator(".pcase").first).to_contain_text(web.number)

    page.goto(live_server.url + "/")
    page.fill("#p-q", "가로등")
    page.press("#p-q", "Enter")
    expect(page.locator(".pcase")).to_have_count(1)
    expect(page.locator(".pcase").first).to_contain_text(lamp.number)
    expect(page.locator(".pcase").first).to_contain_text("가로등이")
    screenshot("portal-search")

    # A case arrives while the page is open: it appears on top without a reload, announced politely.
    page.goto(live_server.url + "/")
    fresh = received(session, world, "방금 들어온 신호등 고장 민원", minutes_ago=0)
    page.dispatch_event("#case-list", "portal:poll")
    expect(page.locator(".pcase").first).to_contain_text(fresh.number)
    expect(page.locator("#live-status")).to_contain_text("새 민원 1건")
    expect(page.locator(".pcase")).to_have_count(4)


def test_case_page_rating_and_follow_up_with_the_receipt_link(
    page: Page, live_server: LiveServer, session: Session, world: World, screenshot: Callable[[str], Path]
) -> None:
    web_account(session, world)
    case = answered(
        session, world, "석촌호수 산책로 가로등이 꺼졌어요. 제 번호는 010-1234-5678", "가로등 전구를 교체했습니다."
    )
    assert case.citizen_token
    token = links.link_token(case_number=case.number, citizen_token=case.citizen_token)

    page.goto(f"{live_server.url}/cases/{case.number}?t=guessed")
    expect(page.locator("[role=alert]")).to_contain_text("확인 코드가 맞지 않습니다")
    expect(page.locator("input[name=score]")).to_have_count(0)

    page.goto(f"{live_server.url}/cases/{case.number}?t={token}")
    expect(page.locator("main")).not_to_contain_text("010-1234-5678")
    expect(page.locator(".deadline")).to_have_text("기한 내 처리")
    expect(page.locator(".answer")).to_contain_text("가로등 전구를 교체했습니다")
    assert page.evaluate(UNLABELLED) == []
    screenshot("case-page-citizen")
    page.check("#rate-5")
    page.fill("#rate-comment", "빠른 처리 감사합니다")
    page.click(".rate-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("만족도")
    session.expire_all()
    session.refresh(case)
    assert case.satisfaction == 5

    page.fill("#fu-text", "다른 쪽 가로등도 꺼져 있어요")
    page.click(".follow-up-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("추가 문의")
    expect(page.locator(".ptimeline")).to_contain_text("추가 문의")
    session.expire_all()
    session.refresh(case)
    assert case.status == CaseStatus.reopened

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/cases/{case.number}?t={token}")
    screenshot("case-page-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_tracking_by_number_on_a_phone(
    page: Page, live_server: LiveServer, session: Session, world: World, screenshot: Callable[[str], Path]
) -> None:
    case = received(session, world, "불법 주차 차량 때문에 골목을 지나갈 수가 없어요")
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    screenshot("portal-list-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.fill("#track-number", case.number)
    page.click(".track-form button")
    expect(page.locator("h1")).to_contain_text(case.number)
    expect(page.locator(".complaint")).to_contain_text("불법 주차")
    page.goto(live_server.url + "/cases/2026-송파-999999")
    expect(page.locator("main h1")).to_have_text("찾을 수 없습니다")
