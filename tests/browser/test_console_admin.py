"""An admin sets up a department end to end in the browser: department, user, category, rule (tested), closure day."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases.deadlines.models import ClosureDay
from sotong.db import utcnow
from sotong.orgs.models import Category, Department, User
from sotong.triage.models import RoutingRule
from tests.browser.conftest import LiveServer
from tests.factories import World


def test_admin_sets_up_a_department(
    page: Page,
    live_server: LiveServer,
    world: World,
    session: Session,
    staff_login: Callable[..., None],
    screenshot: Callable[[str], Path],
) -> None:
    staff_login(world.admin)
    page.get_by_role("link", name="관리", exact=True).first.click()
    expect(page.locator("main h1")).to_have_text("관리")
    screenshot("admin-index")

    # A department, keyboard only: focus the first field, type, Tab on, Enter submits.
    page.get_by_role("link", name="부서", exact=True).first.click()
    page.locator("#f-name").focus()
    page.keyboard.type("공원녹지과")
    page.keyboard.press("Tab")
    page.keyboard.type("PARK")
    page.keyboard.press("Tab")
    page.keyboard.type("park@songpa.example")
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_contain_text("공원녹지과")
    screenshot("admin-departments")

    # The same name again: the error is announced, focused and tied to its field.
    page.fill("#f-name", "공원녹지과")
    page.click("form[action='/staff/admin/departments'] button[type=submit]")
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("#f-name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-name-error")).to_have_text(re.compile("같은 이름의 부서가 이미 있습니다"))
    screenshot("admin-departments-error")
    park = session.scalar(select(Department).where(Department.name == "공원녹지과"))
    assert park is not None

    page.get_by_role("link", name="직원과 역할", exact=True).first.click()
    page.fill("#f-username", "oh.park.officer")
    page.fill("#f-display_name", "오 주무관")
    page.select_option("#f-role", "officer")
    page.select_option("#f-department_id", str(park.id))
    page.fill("#f-password", "park-officer-pw")
    page.click("form[action='/staff/admin/users'] button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("oh.park.officer")
    expect(page.locator("table")).to_contain_text("공원녹지과")
    screenshot("admin-users")
    page.get_by_role("link", name="수정 oh.park.officer").click()
    expect(page.locator("main h1")).to_contain_text("oh.park.officer")
    screenshot("admin-user-edit")

    page.get_by_role("link", name="민원 분야", exact=True).first.click()
    page.fill("#f-code", "park-trees")
    page.fill("#f-name", "가로수·공원 수목")
    page.select_option("#f-department_id", str(park.id))
    page.click("form[action='/staff/admin/categories'] button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("가로수")
    screenshot("admin-categories")
    category = session.scalar(select(Category).where(Category.code == "park-trees"))
    assert category is not None and category.department_id == park.id

    page.get_by_role("link", name="배정 규칙", exact=True).first.click()
    page.fill("#f-name", "가로수 낱말")
    page.fill("#f-priority", "5")
    page.select_option("#f-kind", "keyword")
    page.fill("#f-pattern", "가로수, 나뭇가지")
    page.select_option("#f-department_id", str(park.id))
    page.select_option("#f-category_id", str(category.id))
    page.click("form[action='/staff/admin/rules'] button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("가로수 낱말")
    page.fill("#t-sample", "올림픽로 가로수 나뭇가지가 부러져 인도에 걸려 있어요")
    page.click("form[method=get] button[type=submit]")
    expect(page.locator("#test-result")).to_contain_text("결정한 규칙: 가로수 낱말")
    expect(page.locator("#test-result")).to_contain_text("공원녹지과")
    expect(page.locator("tr.decided")).to_contain_text("가로수 낱말")
    screenshot("admin-rules-test")

    page.get_by_role("link", name="처리기한 정책", exact=True).first.click()
    page.fill("#f-name", "가로수 2일")
    page.fill("#f-priority", "20")
    page.select_option("#f-category_id", str(category.id))
    page.fill("#f-resolution_value", "2")
    page.select_option("#f-resolution_unit", "days")
    page.click("form[action='/staff/admin/sla'] button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("가로수 2일")
    screenshot("admin-sla")

    page.get_by_role("link", name="근무 시간과 휴무일", exact=True).first.click()
    closed = utcnow().astimezone(dt.timezone(dt.timedelta(hours=9))).date() + dt.timedelta(days=30)
    page.fill("#c-day", closed.isoformat())
    page.fill("#c-reason", "구청 개청 기념일")
    page.click("form[action='/staff/admin/calendar/closures'] button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text(closed.isoformat())
    expect(page.locator("main table")).to_contain_text("구청 개청 기념일")
    screenshot("admin-calendar")

    page.get_by_role("link", name="변경 기록", exact=True).first.click()
    expect(page.locator("table.audit")).to_contain_text("휴무일 추가")
    expect(page.locator("table.audit")).to_contain_text("부서 추가")
    screenshot("admin-audit")

    session.expire_all()
    officer = session.scalar(select(User).where(User.username == "oh.park.officer"))
    assert officer is not None and officer.department_id == park.id
    assert session.scalar(select(RoutingRule).where(RoutingRule.name == "가로수 낱말")) is not None
    assert session.scalar(select(ClosureDay).where(ClosureDay.day == closed)) is not None
    logged = set(session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == world.admin.id)))
    assert {
        "department.created",
        "user.created",
        "category.created",
        "triage.rule_created",
        "sla_policy.created",
        "closure_day.added",
    } <= logged


def test_operator_cannot_open_administration(
    page: Page, live_server: LiveServer, world: World, staff_login: Callable[..., None]
) -> None:
    staff_login(world.operator)
    expect(page.get_by_role("link", name="관리", exact=True)).to_have_count(0)
    response = page.goto(f"{live_server.url}/staff/admin/users")
    assert response is not None and response.status == 403
