"""The department side in a real browser: an officer's queue with an overdue case marked, a note mentioning a
colleague who then sees the notification; a manager transfers one case, holds and extends others."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import Case, ComplaintType
from sotong.db import session_factory
from sotong.outbox.delivery import run_once
from tests.factories import World, inbound, new_case
from tests.live_server import LiveServer


def _assigned(session: Session, world: World, *, days_ago: int, text: str) -> Case:
    received = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    case = new_case(session, world, received_at=received, text=text)
    actions.triage(
        session,
        actor=world.actor(world.operator),
        case_id=case.id,
        complaint_type=ComplaintType.grievance,
        category_id=world.pothole.id,
    )
    return actions.assign(session, actor=world.actor(world.manager), case_id=case.id, officer_id=world.officer.id)


def _deliver(engine: Engine) -> None:
    factory = session_factory(engine)
    while run_once(factory, worker_id="browser-test"):
        pass


def test_officer_queue_note_mention_and_colleague_notified(
    page: Page,
    live_server: LiveServer,
    session: Session,
    engine: Engine,
    world: World,
    staff_login: Callable[..., None],
    screenshot: Callable[[str], Path],
) -> None:
    late = _assigned(session, world, days_ago=40, text="잠실역 사거리 맨홀 뚜껑이 들려 있습니다. 위험합니다.")
    fresh = _assigned(session, world, days_ago=0, text="석촌동 골목 가로등이 꺼져 있어요.")
    _deliver(engine)

    staff_login(world.officer)
    page.get_by_role("link", name="부서 민원함").click()
    overdue_row = page.locator('tr[data-state="overdue"]')
    expect(overdue_row).to_have_count(1)
    expect(overdue_row).to_contain_text(late.number)
    expect(overdue_row).to_contain_text("기한 초과")
    expect(page.locator(f'tr:has-text("{fresh.number}")')).not_to_contain_text("기한 초과")
    screenshot("queue-overdue")
    page.set_viewport_size({"width": 390, "height": 844})  # an officer in the field, on a phone
    expect(overdue_row).to_contain_text("기한 초과")
    screenshot("queue-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    overdue_row.get_by_role("link", name=late.number).click()
    expect(page.locator("h1")).to_contain_text(late.number)
    page.get_by_label("새 메모").fill(f"@{world.officer2.username} 내일 오전 현장 같이 확인 부탁드립니다.")
    page.get_by_role("button", name="메모 남기기").click()
    notes = page.locator("#notes")
    expect(notes).to_contain_text("내일 오전 현장 같이 확인")
    expect(notes).to_contain_text(world.officer2.display_name)  # listed as notified
    expect(page.locator(".timeline")).to_contain_text("내부 메모")
    screenshot("case-note")

    _deliver(engine)  # the worker writes the in-app notification
    page.context.clear_cookies()
    staff_login(world.officer2)
    badge = page.locator("#nav-notifications .badge")
    expect(badge).to_have_text("1")
    page.locator("#nav-notifications").click()
    item = page.locator("li.notification-unread")
    expect(item).to_contain_text("메모 언급")
    expect(item).to_contain_text(late.number)
    screenshot("colleague-notifications")
    item.get_by_role("button", name="읽음").click()
    expect(page.locator("#nav-notifications .badge")).to_have_count(0)
    page.locator(f'a:has-text("{late.number}")').first.click()
    expect(page.locator("h1")).to_contain_text(late.number)


def test_manager_transfers_holds_and_extends(
    page: Page,
    live_server: LiveServer,
    session: Session,
    world: World,
    staff_login: Callable[..., None],
    screenshot: Callable[[str], Path],
) -> None:
    to_move = _assigned(session, world, days_ago=0, text="공원 쓰레기통이 넘칩니다.")
    to_hold = _assigned(session, world, days_ago=0, text="보도 블록 교체 요청")
    to_extend = _assigned(session, world, days_ago=1, text="도로 재포장 요청")

    staff_login(world.manager)
    page.goto(f"{live_server.url}/staff/queue")
    expect(page.locator(".queue-table tbody tr")).to_have_count(3)
    screenshot("manager-queue")

    page.goto(f"{live_server.url}/staff/cases/{to_move.number}")
    page.locator("summary", has_text="부서 이송").click()
    page.locator("#td-dept").select_option(label="청소행정과")
    page.locator("#td-reason").fill("쓰레기 관련 민원으로 청소행정과 소관")
    page.locator('form[action$="/transfer_department"] button[type=submit]').click()
    # Out of 도로과's sight now: the manager lands on the case list with the success message.
    expect(page.locator(".flash-success").first).to_contain_text("부서를 옮겼습니다")
    expect(page).to_have_url(re.compile(r"/staff/cases$"))

    page.goto(f"{live_server.url}/staff/cases/{to_hold.number}")
    page.locator("summary", has_text="보류").click()
    page.locator("#ho-reason").fill("현장 확인 일정 조율 중")
    page.locator("#ho-until").fill((dt.date.today() + dt.timedelta(days=14)).isoformat())  # the expected resume
    page.locator('form[action$="/hold"] button[type=submit]').click()
    expect(page.locator("h1 .status")).to_have_text("보류")
    expect(page.locator(".timeline")).to_contain_text("현장 확인 일정 조율 중")
    screenshot("case-held")

    page.goto(f"{live_server.url}/staff/cases/{to_extend.number}")
    page.locator("summary", has_text="기한 연장").click()
    page.locator("#ex-value").fill("3")
    page.locator("#ex-reason").fill("자재 수급 지연")
    page.locator('form[action$="/extend"] button[type=submit]').click()
    expect(page.locator(".flash-success").first).to_contain_text("처리기한을 연장했습니다")
    expect(page.locator("aside")).to_contain_text("자재 수급 지연")
    screenshot("case-extended")

    page.goto(f"{live_server.url}/staff/queue")
    expect(page.locator(".queue-table tbody tr")).to_have_count(2)  # the transferred case left the queue
    expect(page.locator(".queue-table tbody")).not_to_contain_text(to_move.number)


def test_case_page_map_renders_and_zooms_from_our_own_files(
    page: Page,
    live_server: LiveServer,
    session: Session,
    world: World,
    staff_login: Callable[..., None],
    screenshot: Callable[[str], Path],
) -> None:
    message = dataclasses.replace(inbound(), latitude=37.514573, longitude=127.105981)  # 송파구, by 석촌호수
    case = actions.receive_message(session, account_id=world.x_account.id, inbound=message).case
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    staff_login(world.operator)
    page.goto(f"{live_server.url}/staff/cases/{case.number}")
    expect(page.locator("#case-map path.district")).to_have_count(25)
    marker = page.locator("#case-map .map-marker circle")
    expect(marker).to_be_visible()
    start = [float(v) for v in (page.get_attribute("#case-map", "viewBox") or "").split()]
    assert start == [float(v) for v in (page.get_attribute("#case-map", "data-view") or "").split()]  # around the case
    radius = float(page.get_attribute("#case-map .map-marker circle", "r") or 0)
    page.locator("#case-map").scroll_into_view_if_needed()
    screenshot("case-map")

    page.click("[data-map-zoom=in]")
    zoomed = [float(v) for v in (page.get_attribute("#case-map", "viewBox") or "").split()]
    assert zoomed[2] == start[2] / 2
    assert float(page.get_attribute("#case-map .map-marker circle", "r") or 0) == radius / 2  # same size on screen
    page.click("[data-map-zoom=reset]")
    assert [float(v) for v in (page.get_attribute("#case-map", "viewBox") or "").split()] == start
    assert requests and all(u.startswith(live_server.url) for u in requests)  # no tiles, no CDN, no cluster fetch
    assert not [u for u in requests if "map.json" in u]
