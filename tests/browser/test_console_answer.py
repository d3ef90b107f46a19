"""The officer answers in a real browser: pick a standard answer, fill its slots, preview, send with a photo."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote

from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.cases.answers import actions
from sotong.cases.models import Answer, Case, CaseStatus
from sotong.outbox.models import OutboxItem
from tests.browser.conftest import LiveServer
from tests.factories import World, case_in_status

TEMPLATE = (
    "{citizen} 님, {department}입니다. 접수번호 {case_number} 민원에 답변드립니다.\n"
    "- 조치 내용: [[조치 내용]]\n"
    "- 담당자 연락처: [[담당자 연락처]]\n"
    "{officer} 드림"
)


def _png(width: int = 96, height: int = 64) -> bytes:
    """A small real PNG (a green field), so the answer's photo renders in the screenshot."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes((40, 140, 70)) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_officer_answers_with_a_template_preview_and_photo(
    page: Page,
    live_server: LiveServer,
    world: World,
    session: Session,
    staff_login: Callable[..., None],
    screenshot: Callable[[str], Path],
) -> None:
    template = actions.create_template(
        session,
        actor=Actor.for_user(world.admin),
        org_id=world.songpa.id,
        title="도로 파손 보수 완료",
        body=TEMPLATE,
        category_id=world.pothole.id,
        required_elements=["조치 내용", "담당자 연락처"],
    )
    case = case_in_status(session, world, CaseStatus.in_progress)
    staff_login(world.officer)
    page.goto(f"{live_server.url}/staff/cases/{case.number}")

    page.select_option("#an-template", str(template.id))
    body = page.locator("#an-body")
    expect(body).to_have_value(re.compile(f"접수번호 {case.number} 민원에 답변드립니다"))
    expect(page.locator("[data-answers-required]")).to_contain_text("[[조치 내용]]")

    # The first slot is selected: typing replaces it. The second is left: sending is stopped and names it.
    page.keyboard.type("보도블럭 12장 교체 (11월 22일 14시)")
    expect(body).not_to_have_value(re.compile(r"\[\[조치 내용\]\]"))
    page.get_by_role("button", name="답변 보내기").click()
    expect(page.locator("[data-answers-missing]")).to_contain_text("담당자 연락처")
    assert unquote(page.url).endswith(f"/staff/cases/{case.number}")  # still on the form: nothing was sent

    body.fill(body.input_value().replace("[[담당자 연락처]]", "도로과 02-2147-0000"))
    page.set_input_files("#an-photos", files=[{"name": "after.png", "mimeType": "image/png", "buffer": _png()}])
    page.get_by_role("button", name="미리보기").click()
    panel = page.locator("[data-answers-panel]")
    expect(panel.locator("[data-answers-reply]")).to_contain_text(f"[{case.number} 답변] @citizen_kim 님")
    expect(panel.locator("[data-answers-length]")).to_contain_text("/ 280")
    expect(panel.locator("[data-answers-public]")).to_contain_text("[전화번호]")  # the officer's number, masked
    expect(panel.locator("[data-answers-missing]")).to_be_hidden()
    screenshot("answer-preview")

    page.get_by_role("button", name="답변 보내기").click()
    page.wait_for_url(re.compile(re.escape(f"/staff/cases/{quote(case.number)}") + "$"))
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("h1 .status-answered")).to_be_visible()
    expect(page.locator(".answer img")).to_be_visible()
    screenshot("answered")

    session.expire_all()
    assert session.get(Case, case.id).status is CaseStatus.answered  # type: ignore[union-attr]
    answer = session.scalars(select(Answer).where(Answer.case_id == case.id)).one()
    assert "보도블럭 12장 교체" in answer.body and len(answer.attachments) == 1
    item = session.scalars(select(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.kind == "answer")).one()
    assert item.transport == "x" and item.payload["answer_id"] == answer.id
