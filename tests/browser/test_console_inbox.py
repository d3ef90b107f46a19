"""The operator's flow in a real browser: open the inbox, confirm a triage, route a case to a department, see a
new message arrive without reloading, and work a row with the keyboard."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from sotong.cases.models import Case, CaseStatus, RejectReason
from sotong.triage import model_store
from tests.console.inbox_support import desk_case
from tests.factories import World
from tests.live_server import LiveServer
from tests.triage.helpers import tiny_model


@pytest.fixture
def desk(session: Session, world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """Triage by the tiny model, auto-routing off: triaged cases wait for the operator."""
    monkeypatch.setattr(model_store, "default_model", tiny_model)
    world.songpa.auto_route_threshold = 1.01
    session.commit()
    return world


def _status(session: Session, case: Case) -> Case:
    session.expire_all()
    fresh = session.get(Case, case.id)
    assert fresh is not None
    return fresh


def test_operator_confirms_routes_and_sees_new_messages(
    page: Page,
    live_server: LiveServer,
    desk: World,
    session: Session,
    staff_login: Callable[..., None],
    screenshot: Callable[[str], Path],
) -> None:
    first = desk_case(session, desk, text="석촌호수 앞 보도블럭이 깨져서 위험합니다 연락처 010-1234-5678")
    second = desk_case(session, desk, text="골목에 쓰레기 무단투기가 심해서 냄새가 나요 치워주세요")
    chatter = desk_case(session, desk, text="구청장님 화이팅 좋은 아침입니다")
    thanks = desk_case(session, desk, text="골목 쓰레기 수거해 주셔서 감사합니다 깨끗해졌어요")
    staff_login(desk.operator)
    page.click("a[href='/staff/inbox']")  # the menu entry
    page.wait_for_url(re.compile(r".*/staff/inbox$"))
    row = page.locator(f"#case-{first.id}")
    expect(row).to_contain_text("도로과")
    expect(row).to_contain_text("[전화번호]")
    expect(row.locator(".status")).to_have_text("접수")
    screenshot("inbox")

    # One action: confirm the automatic triage; the row updates in place.
    row.get_by_role("button", name=re.compile("확정")).click()
    expect(page.locator(f"#case-{first.id} .status")).to_have_text("분류")
    expect(page.locator("#inbox-feedback")).to_contain_text("1건의 분류를 확정했습니다")
    assert _status(session, first).department_id == desk.roads.id

    # Route the second one to 청소행정과 through the bulk toolbar.
    page.check(f"#sel-{second.id}")
    expect(page.locator("#bulk-count")).to_have_text("1건 선택")
    page.select_option("#bulk-action", "route")
    page.select_option("#bulk-department", str(desk.cleaning.id))
    page.click("#bulk-submit")
    expect(page.locator(f"#case-{second.id} .inbox-routing")).to_contain_text("청소행정과")
    expect(page.locator(f"#case-{second.id} .status")).to_have_text("분류")
    expect(page.locator(f"#sel-{second.id}")).not_to_be_checked()  # handled: out of the selection
    expect(page.locator("#bulk-count")).to_have_text("0건 선택")
    routed = _status(session, second)
    assert routed.department_id == desk.cleaning.id and routed.status is CaseStatus.triaged

    # Chatter was hidden at intake (acknowledged, never at the desk): not on the to-do list at all.
    expect(page.locator(f"#case-{chatter.id}")).to_have_count(0)
    assert _status(session, chatter).status is CaseStatus.rejected

    # Correct a thank-you the model took for administration: the form starts from the suggestion; not
    # administration-related, one click hides it.
    page.locator(f"#case-{thanks.id} .js-correct").click()
    expect(page.locator("#correct-form")).to_be_visible()
    expect(page.locator("#correct-number")).to_have_value(thanks.number)
    expect(page.locator("#correct-relevant")).to_have_value("true")
    page.select_option("#correct-relevant", "false")
    page.get_by_role("button", name="정정하고 보내기").click()
    expect(page.locator(f"#case-{thanks.id} .status")).to_have_text("숨김")
    expect(page.locator("#correct-form")).to_be_hidden()

    # A citizen writes: the message appears at the top without a reload, and is announced.
    arriving = desk_case(session, desk, text="도로에 포트홀이 생겼어요 메워주세요")
    expect(page.locator(f"#case-{arriving.id}")).to_be_visible(timeout=15_000)
    expect(page.locator("#inbox-live")).to_contain_text("새 민원 1건")
    assert page.locator(".inbox-row").first.get_attribute("id") == f"case-{arriving.id}"
    screenshot("inbox-after")


def test_keyboard_shortcuts_work_the_inbox(
    page: Page,
    live_server: LiveServer,
    desk: World,
    session: Session,
    staff_login: Callable[..., None],
    screenshot: Callable[[str], Path],
) -> None:
    older = desk_case(session, desk, text="대출 광고 문의 환영 http://spam.example")
    newest = desk_case(session, desk, text="도로에 포트홀이 생겼어요 메워주세요")
    staff_login(desk.operator)
    page.goto(f"{live_server.url}/staff/inbox")
    page.locator("h1").click()
    page.keyboard.press("?")
    expect(page.locator("#inbox-help")).to_have_attribute("open", "")
    page.keyboard.press("Escape")

    # j: the newest row; c: confirm it.
    page.keyboard.press("j")
    expect(page.locator(f"#case-{newest.id}")).to_have_class(re.compile("is-current"))
    page.keyboard.press("c")
    expect(page.locator(f"#case-{newest.id} .status")).to_have_text("분류")

    # j, x, h, Enter: select the next one and hide it as spam (the default reason).
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("#bulk-count")).to_have_text("1건 선택")
    page.keyboard.press("h")
    expect(page.locator("#bulk-hide-reason")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"#case-{older.id} .status")).to_have_text("숨김")
    hidden = _status(session, older)
    assert hidden.status is CaseStatus.rejected and hidden.reject_reason is RejectReason.spam

    # Typing in the search box is not a shortcut.
    page.keyboard.press("/")
    expect(page.locator("#inbox-q")).to_be_focused()
    page.keyboard.type("jc")
    expect(page.locator("#inbox-q")).to_have_value("jc")
    screenshot("inbox-keyboard")
