"""공개 검토 and the citizen's 공개/비공개 choice in a real browser (issue 13): an operator compares the citizen's
words with the masked version, corrects and releases one case, hides another from the public at once; a citizen
who chose 비공개 on the form is answered, never listed, and still follows the case by the tracking link."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import Case, ComplaintType
from sotong.orgs.models import User
from sotong.settings import Settings
from tests.factories import World, new_case, publish
from tests.live_server import LiveServer

PHONE = "010-2741-9035"


def test_operator_compares_corrects_releases_and_hides(
    browser: Browser,
    page: Page,
    live_server: LiveServer,
    session: Session,
    world: World,
    staff_login: Callable[[User | str], None],
    screenshot: Callable[[str], Path],
) -> None:
    waiting = new_case(session, world, text=f"석촌호수로 가로등이 밤새 꺼져 있어요. 제 번호는 {PHONE}입니다")
    shown = publish(session, world, new_case(session, world, text="방이동 공원 벤치가 부서졌어요"))

    page.goto(live_server.url + "/")  # the list is now in the page cache with the published case on it
    expect(page.locator(".pcase .case-number")).to_have_text([shown.number])

    staff_login(world.operator)
    page.goto(live_server.url + "/staff/review")
    item = page.locator(f"#review-{waiting.number}")
    expect(item.locator(".review-original")).to_contain_text(PHONE)  # the citizen's words, for the operator
    expect(item.locator(".review-masked textarea")).to_have_value(re.compile(r"\[전화번호\]"))
    assert PHONE not in item.locator(".review-masked textarea").input_value()
    screenshot("review")
    item.get_by_label("공개 제목").fill("석촌호수로 가로등 고장")
    item.get_by_label("공개 본문").fill("석촌호수로 가로등이 밤새 꺼져 있어요.")
    item.get_by_role("button", name="공개", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("공개했습니다")
    expect(page.locator(f"#review-{waiting.number}")).to_have_count(0)

    page.goto(f"{live_server.url}/staff/cases/{shown.number}")
    page.locator(".public-version").get_by_role("button", name="즉시 비공개").click()
    expect(page.locator(".flash-success")).to_contain_text("공개 화면에서 바로 사라집니다")

    # An anonymous visitor, in a context of their own: the corrected case is listed, the hidden one gone at once.
    visitor = browser.new_context(locale="ko-KR")
    public = visitor.new_page()
    public.goto(live_server.url + "/")
    expect(public.locator(".pcase .case-number")).to_have_text([waiting.number])
    public.goto(f"{live_server.url}/cases/{waiting.number}")
    expect(public.locator(".complaint-title")).to_have_text("석촌호수로 가로등 고장")
    expect(public.locator("main")).not_to_contain_text(PHONE)
    gone = public.goto(f"{live_server.url}/cases/{shown.number}")
    assert gone is not None and gone.status == 404
    visitor.close()


def test_citizen_chooses_private_is_answered_never_listed_and_follows_by_link(
    page: Page,
    live_server: LiveServer,
    session: Session,
    world: World,
    settings: Settings,
    screenshot: Callable[[str], Path],
) -> None:
    settings.webform_min_fill_seconds = 0  # a script types faster than any person (tested in test_webform.py)
    page.goto(f"{live_server.url}/report?org=songpa")
    page.fill("#r-text", "우리 집 앞 하수구 냄새가 심해요. 확인 부탁드립니다.")
    page.get_by_label("비공개 (답변만 받고 공개하지 않음)").check()
    page.fill("#r-phone", "010-3456-7890")
    page.get_by_role("button", name="신청하기").click(no_wait_after=True)
    number = page.locator(".case-number")
    expect(number).to_have_text(re.compile(r"^\d{4}-송파-\d{6}$"), timeout=60_000)
    tracking = page.locator("a.tracking-link").get_attribute("href")

    case = session.scalar(select(Case).where(Case.number == number.inner_text()))
    assert case is not None and case.citizen_private
    actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=case.id,
        complaint_type=ComplaintType.grievance,
        category_id=world.pothole.id,
    )
    actions.answer(session, actor=world.actor(world.officer), case_id=case.id, body="하수구를 청소했습니다.")

    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_have_text("공개 민원")
    expect(page.locator(f".pcase a:text-is('{case.number}')")).to_have_count(0)
    page.goto(f"{live_server.url}{tracking}")
    expect(page.locator("main h1")).to_contain_text(case.number)
    expect(page.locator(".answer")).to_contain_text("하수구를 청소했습니다")
    expect(page.locator("#privacy-state")).to_contain_text("요청하신 대로 비공개입니다")
    screenshot("private-tracking")
