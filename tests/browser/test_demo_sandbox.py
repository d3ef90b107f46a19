"""A first-time user of the demo: a Kakao message from the bundled sandbox's chat window reaches the inbox, an
officer answers it, and the answer arrives in the chat. The worker's passes are run here, one by one."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.cases import actions
from sotong.cases.models import Case, CaseStatus, ComplaintType
from sotong.channels.intake.conversations import close_silent
from sotong.db import session_factory, utcnow
from sotong.demo import data
from sotong.demo.loader import load_demo
from sotong.orgs.models import Channel, ChannelAccount, Department, Organisation, User
from sotong.settings import Settings
from sotong.worker import run_pass
from tests.live_server import LiveServer

CITIZEN = "sandbox-citizen-park"
COMPLAINT = "석촌호수 산책로 가로등이 사흘째 꺼져 있어서 밤에 너무 어둡습니다. 고쳐 주세요."
ANSWER = "가로등 전구를 오늘 교체했습니다. 불편을 드려 죄송합니다."


@pytest.fixture
def live_server(settings: Settings, engine: Engine) -> Iterator[LiveServer]:
    """The app at a base URL of its own, as `make run` serves it: the sandbox and the product call each other."""
    server = LiveServer(settings, engine, own_base_url=True)
    server.start()
    yield server
    server.stop()


def _worker_pass(engine: Engine, session: Session) -> None:
    """The worker, once, after the citizen fell silent: the conversation's case opened, triaged, delivered."""
    session.rollback()
    factory = session_factory(engine)
    close_silent(factory, now=utcnow() + dt.timedelta(hours=1))
    run_pass(factory, worker_id="demo-test")


def _to_in_progress(session: Session, case: Case) -> User:
    """What the operator and the department would do between the inbox and the answer; returns the officer."""
    songpa = session.scalars(select(Organisation).where(Organisation.slug == "songpa")).one()
    operator = session.scalars(select(User).where(User.username == "songpa.operator")).one()
    if case.status is CaseStatus.received or case.department_id is None:
        department_id = (
            case.department_id
            or session.scalars(
                select(Department.id).where(Department.org_id == songpa.id).order_by(Department.id)
            ).first()
        )
        case = actions.triage(
            session,
            actor=Actor.for_user(operator),
            case_id=case.id,
            complaint_type=case.complaint_type or ComplaintType.other,
            department_id=department_id,
        )
    if case.officer_id is None:
        department = session.get(Department, case.department_id)
        assert department is not None
        manager = session.scalars(select(User).where(User.username == f"songpa.{department.code}.manager")).one()
        officer = session.scalars(select(User).where(User.username == f"songpa.{department.code}.officer")).one()
        case = actions.assign(session, actor=Actor.for_user(manager), case_id=case.id, officer_id=officer.id)
    officer = session.get(User, case.officer_id)
    assert officer is not None
    if case.status is CaseStatus.assigned:
        actions.start_work(session, actor=Actor.for_user(officer), case_id=case.id)
    return officer


def test_a_kakao_message_from_the_sandbox_is_answered_in_its_chat(
    page: Page,
    live_server: LiveServer,
    engine: Engine,
    session: Session,
    staff_login: Callable[..., None],
    screenshot: Callable[[str], Path],
) -> None:
    load_demo(session, messages=10, seed=3, base_url=live_server.url)
    account = session.scalars(
        select(ChannelAccount).where(ChannelAccount.channel == Channel.kakao, ChannelAccount.handle == "송파구청")
    ).one()
    bot_id = str(account.config["bot_id"])
    session.rollback()

    # The sandbox's front page names the practice channels; the citizen opens 송파구's chat and writes.
    page.goto(f"{live_server.url}/sandbox/kakao/")
    expect(page.locator(".sandbox-badge")).to_have_text("연습용(샌드박스)")
    page.get_by_role("link", name=account.display_name).click()
    page.wait_for_url(re.compile(re.escape(f"/sandbox/kakao/{bot_id}/")))
    chat_url = f"{live_server.url}/sandbox/kakao/{bot_id}/?user={CITIZEN}"
    page.goto(chat_url)
    page.get_by_label("메시지").fill(COMPLAINT)
    page.get_by_role("button", name="보내기").click()
    expect(page.locator(".bubble-user")).to_have_text(COMPLAINT)
    expect(page.locator(".bubble-bot").first).to_be_visible()  # the skill's own answer
    expect(page.locator(".bubble-system")).to_have_count(0)
    screenshot("sandbox-sent")

    _worker_pass(engine, session)
    case = session.scalars(
        select(Case).where(Case.channel_account_id == account.id, Case.author_handle == CITIZEN)
    ).one()
    # The receipt, with the case number, arrived in the chat (the window polls the sandbox).
    expect(page.locator(".bubble-bot").filter(has_text=case.number)).not_to_have_count(0)

    # The operator finds it among the Kakao cases of the inbox (routing already sent it to a department, so it
    # no longer waits for the desk); the case page says it came from a sandbox.
    staff_login("songpa.operator", data.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/staff/inbox?channel=kakao&status=all")
    expect(page.locator(f"#case-{case.id}")).to_contain_text("가로등")
    screenshot("inbox")
    page.goto(f"{live_server.url}/staff/cases/{quote(case.number)}")
    expect(page.locator("[data-sandbox]")).to_have_text("연습용(샌드박스)")

    # The department takes it on; its officer answers in the console.
    officer = _to_in_progress(session, case)
    page.context.clear_cookies()
    staff_login(officer.username, data.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/staff/cases/{quote(case.number)}")
    page.locator("#an-body").fill(ANSWER)
    page.get_by_role("button", name="답변 보내기").click()
    page.wait_for_url(re.compile(re.escape(f"/staff/cases/{quote(case.number)}") + "$"))
    expect(page.locator("h1 .status-answered")).to_be_visible()
    screenshot("answered")

    # The worker delivers the answer through the Event API: it appears in the citizen's chat, on a phone.
    _worker_pass(engine, session)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(chat_url)
    expect(page.locator(".bubble-bot").filter(has_text=ANSWER)).to_have_count(1)
    screenshot("sandbox-answered-phone")


def test_an_x_mention_from_the_sandbox_timeline_is_answered_there(
    page: Page,
    live_server: LiveServer,
    engine: Engine,
    session: Session,
    screenshot: Callable[[str], Path],
) -> None:
    load_demo(session, messages=10, seed=4, base_url=live_server.url)
    session.rollback()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/sandbox/x/")
    expect(page.locator(".sandbox-badge")).to_have_text("연습용(샌드박스)")
    page.get_by_label("내 아이디").fill("park_jiho")
    page.get_by_label("게시물").fill(
        "@songpaOK 잠실역 8번 출구 앞 보도블럭이 깨져서 넘어질 뻔했어요. 보수 부탁드립니다."
    )
    page.get_by_role("button", name="게시하기").click()
    mention = page.locator(".tweet").filter(has_text="잠실역 8번 출구")
    expect(mention).to_have_count(1)

    # The worker polls the mentions, opens and triages the case, and replies with the receipt.
    for _ in range(3):
        _worker_pass(engine, session)
    account = session.scalars(select(ChannelAccount).where(ChannelAccount.handle == "@songpaOK")).one()
    case = session.scalars(
        select(Case).where(Case.channel_account_id == account.id, Case.author_handle == "@park_jiho")
    ).one()
    expect(page.locator(".tweet-reply").filter(has_text=case.number)).to_have_count(1)

    officer = _to_in_progress(session, case)
    actions.answer(session, actor=Actor.for_user(officer), case_id=case.id, body="보도블럭을 오늘 새로 깔았습니다.")
    _worker_pass(engine, session)
    expect(page.locator(".tweet-reply").filter(has_text="보도블럭을 오늘 새로 깔았습니다")).to_have_count(1)
    screenshot("x-sandbox-answered-phone")


def test_a_facebook_comment_and_a_messenger_chat_from_the_sandbox_are_answered_there(
    page: Page,
    live_server: LiveServer,
    engine: Engine,
    session: Session,
    screenshot: Callable[[str], Path],
) -> None:
    load_demo(session, messages=10, seed=5, base_url=live_server.url)
    account = session.scalars(select(ChannelAccount).where(ChannelAccount.handle == "songpagu")).one()
    page_id = str(account.config["page_id"])
    session.rollback()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/sandbox/facebook/")
    expect(page.locator(".sandbox-badge")).to_have_text("연습용(샌드박스)")
    page.locator("li", has_text="송파구청 페이스북").get_by_role("link", name="게시물 댓글").click()
    page.wait_for_url(re.compile(re.escape(f"/sandbox/facebook/{page_id}/")))
    page.get_by_label("댓글").fill("올림픽공원 남2문 앞 횡단보도 신호등이 고장 났어요. 빨리 고쳐 주세요.")
    page.get_by_role("button", name="댓글 달기").click()
    expect(page.locator(".tweet").filter(has_text="남2문")).to_have_count(1)

    # The webhook took the comment in at once; the worker triages it and replies with the receipt under it.
    for _ in range(2):
        _worker_pass(engine, session)
    case = session.scalars(select(Case).where(Case.channel_account_id == account.id, Case.body.contains("남2문"))).one()
    expect(page.locator(".tweet-reply").filter(has_text=case.number)).to_have_count(1)
    screenshot("facebook-sandbox-receipt-phone")

    # Messenger: two bubbles become one case once the citizen falls silent; its receipt arrives in the chat.
    page.goto(f"{live_server.url}/sandbox/facebook/{page_id}/messenger/?user=7000000000000042")
    for bubble in ("안녕하세요", "방이동 골목에 쓰레기가 일주일째 쌓여 있습니다."):
        page.get_by_label("메시지").fill(bubble)
        page.get_by_role("button", name="보내기").click()
        expect(page.locator(".bubble-user").filter(has_text=bubble)).to_have_count(1)
    for _ in range(2):
        _worker_pass(engine, session)
    chat = session.scalars(
        select(Case).where(Case.channel_account_id == account.id, Case.author_handle == "7000000000000042")
    ).one()
    expect(page.locator(".bubble-bot").filter(has_text=chat.number)).to_have_count(1)
    expect(page.locator(".bubble-system")).to_have_count(0)
    screenshot("messenger-sandbox-receipt-phone")
