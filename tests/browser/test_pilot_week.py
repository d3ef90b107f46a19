"""A pilot district's first week, walked in a real browser on the demo (ko-KR; a desktop and a phone).

A citizen reports on the web form with a photo and a map pin and adds a follow-up; another writes on the Kakao
sandbox, a third mentions the district on the X sandbox, a fourth sends chatter. The worker's passes run here,
one by one (no sleeps). The operator's inbox holds only what waits; routing picks the departments; an officer
answers from a standard answer; a Kakao account set up wrong makes the delivery fail on the case, it is fixed and
sent again; the answers arrive in the sandboxes' windows; the web case is transferred to 서울특별시 with everything
it holds, with the banners and links both ways. Screenshots go to the test artefacts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, ViewportSize, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotong.actors import Actor
from sotong.cases import actions
from sotong.cases.answers.models import AnswerTemplate
from sotong.cases.models import Attachment, Case, CaseStatus, Message
from sotong.channels import accounts as channel_accounts
from sotong.channels.intake.conversations import close_silent
from sotong.db import session_factory, utcnow
from sotong.demo import data
from sotong.demo.loader import load_demo
from sotong.orgs.models import Channel, ChannelAccount, Department, Organisation, User
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.secrets import is_secret
from sotong.settings import Settings
from sotong.worker import run_pass
from tests.channels.webform_support import jpeg_with_gps
from tests.fakes import juso as fake_juso
from tests.live_server import LiveServer

VIEWPORTS: dict[str, ViewportSize] = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
WEB_TEXT = "석촌호수 동호 산책로 가로등 세 개가 일주일째 꺼져 있어서 밤에 너무 어둡습니다. 고쳐 주세요."
WEB_FOLLOW_UP = "어제 저녁에도 꺼져 있었습니다. 산책로 입구 쪽이 가장 어둡습니다."
KAKAO_USER = "sandbox-citizen-park"
KAKAO_TEXT = "잠실역 8번 출구 앞 보도블럭이 깨져서 넘어질 뻔했어요. 보수 부탁드립니다."
CHATTER_USER = "sandbox-citizen-choi"
CHATTER = "구청장님 화이팅! 오늘 날씨 좋네요"
X_TEXT = "@songpaOK 방이동 먹자골목 입구 가로등이 깜빡거리다가 꺼졌어요. 확인 부탁드립니다."
X_ANSWER = "가로등 안정기를 오늘 교체했습니다. 알려주셔서 감사합니다."
# A question for the centre's desk: the demo maps no category onto its standard category (민원 안내), so it waits.
X_QUESTION = "@songpaOK 주민등록등본 발급은 토요일에도 되나요? 알려주세요."


@pytest.fixture
def live_server(settings: Settings, engine: Engine, juso: fake_juso.FakeJuso) -> Iterator[LiveServer]:
    """The app at a base URL of its own, as `make run` serves it: the sandboxes and the product call each other.
    It serves a copy of the settings: what the walk changes in them is changed before it starts."""
    settings.webform_min_fill_seconds = 0  # a script types faster than any person (tested in test_webform.py)
    server = LiveServer(settings, engine, own_base_url=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def juso(settings: Settings) -> Iterator[fake_juso.FakeJuso]:
    with fake_juso.running() as fake:
        settings.juso_search_url = fake.search_url
        settings.juso_search_key = fake.search_key
        settings.juso_coord_url = fake.coord_url
        settings.juso_coord_key = fake.coord_key
        yield fake


def _worker_pass(engine: Engine, session: Session, passes: int = 1) -> None:
    """The worker, as after the citizens fell silent: conversations become cases, triage, deliveries, polls."""
    session.rollback()
    factory = session_factory(engine)
    for _ in range(passes):
        close_silent(factory, now=utcnow() + dt.timedelta(hours=1))
        run_pass(factory, worker_id="pilot-week")


def _user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def _case_of(session: Session, account: ChannelAccount, author: str) -> Case:
    session.rollback()
    return session.scalars(
        select(Case).where(Case.channel_account_id == account.id, Case.author_handle == author)
    ).one()


def _login(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/staff/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", data.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/staff/?$"))


def _set_kakao_api_url(session: Session, account: ChannelAccount, api_url: str) -> None:
    """What the district's admin does on the channel page: the Event API address changed (typed wrong, then
    right); the credentials stay as they are."""
    session.rollback()
    admin = _user(session, "songpa.admin")
    config = dict(account.config or {})
    shown = {k: v for k, v in config.items() if not is_secret(k) and k not in channel_accounts.INTERNAL_KEYS}
    channel_accounts.update_channel_account(
        session,
        actor=Actor.for_user(admin),
        account_id=account.id,
        display_name=account.display_name,
        enabled=True,
        department_id=account.department_id,
        reply_via_account_id=account.reply_via_account_id,
        settings={**shown, "api_url": api_url},
        new_secrets={},
    )


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_pilot_week(
    page: Page,
    live_server: LiveServer,
    engine: Engine,
    session: Session,
    tmp_path: Path,
    screenshot: Callable[[str], Path],
    viewport: str,
) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    base = live_server.url
    load_demo(session, messages=10, seed=7, base_url=base)
    songpa = session.scalars(select(Organisation).where(Organisation.slug == "songpa")).one()
    kakao = session.scalars(
        select(ChannelAccount).where(ChannelAccount.org_id == songpa.id, ChannelAccount.channel == Channel.kakao)
    ).one()
    x_account = session.scalars(select(ChannelAccount).where(ChannelAccount.handle == "@songpaOK")).one()
    bot_id = str(kakao.config["bot_id"])
    session.rollback()

    # --- Monday: the citizens write. The web form: the address search, a map pin, the 분야, a photo.
    photo = tmp_path / "IMG_0412.JPG"
    photo.write_bytes(jpeg_with_gps())
    page.goto(f"{base}/report")
    page.fill("#r-text", WEB_TEXT)
    page.fill("#r-address-q", "올림픽로 240")
    page.keyboard.press("Enter")
    page.locator(".wf-result").first.click()
    expect(page.locator("#r-org")).to_have_value("songpa")
    page.locator(".leaflet-marker-icon").wait_for()
    box = page.locator("[data-map-canvas]").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2 - 20, box["y"] + box["height"] / 2 + 15)
    expect(page.locator("[data-map-status]")).to_contain_text("위치를 표시했습니다")
    page.select_option("#r-category", "streetlight")
    page.set_input_files("#r-photos", str(photo))
    screenshot("1-form")
    page.get_by_role("button", name="신청하기").click(no_wait_after=True)
    number = page.locator(".case-number")
    expect(number).to_have_text(re.compile(r"^\d{4}-송파-\d{6}$"), timeout=60_000)
    web_number = number.inner_text()
    expect(page.locator(".receipt-photos")).to_contain_text("IMG_0412.jpg")
    expect(page.locator(".receipt-next")).to_contain_text("도로과가 맡았습니다")  # triaged as it came in
    tracking_url = page.locator("#receipt-url").input_value()
    screenshot("2-receipt")
    # The citizen adds what they saw since, on the page the receipt's link opens.
    page.locator("a.tracking-link").click()
    page.fill("#fu-text", WEB_FOLLOW_UP)
    page.locator(".follow-up-form button[type=submit]").click()
    expect(page.locator(".flash")).to_be_visible()

    # Kakao: a complaint, and chatter from another citizen, from the sandbox's own chat window.
    for user, text in ((KAKAO_USER, KAKAO_TEXT), (CHATTER_USER, CHATTER)):
        page.goto(f"{base}/sandbox/kakao/{bot_id}/?user={user}")
        expect(page.locator(".sandbox-badge")).to_have_text("연습용(샌드박스)")
        page.get_by_label("메시지").fill(text)
        page.get_by_role("button", name="보내기").click()
        expect(page.locator(".bubble-user")).to_have_text(text)
        expect(page.locator(".bubble-bot").first).to_be_visible()
    screenshot("3-kakao-chatter-sent")

    # X: a mention of the district's account on the sandbox's timeline.
    page.goto(f"{base}/sandbox/x/")
    page.get_by_label("내 아이디").fill("jiho_bang")
    page.get_by_label("게시물").fill(X_TEXT)
    page.get_by_role("button", name="게시하기").click()
    expect(page.locator(".tweet").filter(has_text="먹자골목")).to_have_count(1)
    page.get_by_label("내 아이디").fill("mina_oh")
    page.get_by_label("게시물").fill(X_QUESTION)
    page.get_by_role("button", name="게시하기").click()
    expect(page.locator(".tweet").filter(has_text="주민등록등본")).to_have_count(1)

    # The worker: the chats become cases, the mention is polled in, triage routes, receipts go out.
    _worker_pass(engine, session, passes=3)
    web_case = session.scalars(select(Case).where(Case.number == web_number)).one()
    kakao_case = _case_of(session, kakao, KAKAO_USER)
    chatter_case = _case_of(session, kakao, CHATTER_USER)
    x_case = _case_of(session, x_account, "@jiho_bang")
    question = _case_of(session, x_account, "@mina_oh")

    # Chatter: thanked in the chat, no case number promised, hidden, on no public list.
    assert chatter_case.status is CaseStatus.rejected and chatter_case.department_id is None
    page.goto(f"{base}/sandbox/kakao/{bot_id}/?user={CHATTER_USER}")
    expect(page.locator(".bubble-bot").filter(has_text="감사합니다")).not_to_have_count(0)
    expect(page.locator(".bubble-bot").filter(has_text=chatter_case.number)).to_have_count(0)
    latest = page.request.get(f"{base}/portal/latest.json")
    assert latest.ok and chatter_case.number not in latest.text()
    screenshot("4-kakao-chatter-acknowledged")
    # The complaint's receipt arrived in the other chat; the mention got its reply on the timeline.
    page.goto(f"{base}/sandbox/kakao/{bot_id}/?user={KAKAO_USER}")
    expect(page.locator(".bubble-bot").filter(has_text=kakao_case.number)).not_to_have_count(0)
    page.goto(f"{base}/sandbox/x/")
    expect(page.locator(".tweet-reply").filter(has_text=x_case.number)).to_have_count(1)

    # Routing picked the departments by itself: streetlights and pavements are 도로과's.
    roads = session.scalars(select(Department).where(Department.org_id == songpa.id, Department.code == "roads")).one()
    for case in (web_case, kakao_case, x_case):
        assert case.department_id == roads.id, (case.number, case.status)

    # --- The SNS centre: the inbox opens on what waits (the question), not on what routing or triage settled.
    assert question.status is CaseStatus.received and question.department_id is None
    _login(page, base, "songpa.operator")
    page.goto(f"{base}/staff/inbox")
    expect(page.locator(f"#case-{question.id}")).to_contain_text("주민등록등본")
    # Named in Korean from the standard taxonomy (the demo maps no category onto it), not as the model's code.
    expect(page.locator(f"#case-{question.id} .inbox-triage p").first).to_contain_text("민원서류·행정 (표준 분류)")
    for case in (web_case, kakao_case, x_case, chatter_case):
        expect(page.locator(f"#case-{case.id}")).to_have_count(0)
    statuses = page.locator(".inbox-row .status").evaluate_all("els => els.map(e => e.className)")
    assert statuses and all(re.search(r"status-(received|triaged)\b", c) for c in statuses), statuses
    screenshot("5-inbox-todo")
    # Nothing on the page is wider than the screen (the filters' account names once were, on a phone).
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.goto(f"{base}/staff/inbox?status=all")
    expect(page.locator(f"#case-{web_case.id}")).to_contain_text("도로과")
    expect(page.locator(f"#case-{kakao_case.id}")).to_be_visible()

    # --- 도로과: the officer starts the Kakao case and answers it from the standard answer.
    session.rollback()
    kakao_case = session.get(Case, kakao_case.id) or kakao_case
    officer = session.get(User, kakao_case.officer_id) if kakao_case.officer_id else None
    assert officer is not None, "자동 배정 gave the case to an officer on duty"
    _set_kakao_api_url(session, kakao, f"{base}/sandbox/kakao-typo")  # the admin mistyped the API address
    _login(page, base, officer.username)
    case_url = f"{base}/staff/cases/{quote(kakao_case.number)}"
    page.goto(case_url)
    page.get_by_role("button", name="처리 시작").click()
    expect(page.locator("h1 .status-in_progress")).to_be_visible()
    template = session.scalars(
        select(AnswerTemplate).where(
            AnswerTemplate.org_id == songpa.id, AnswerTemplate.title == "도로·보도 파손 보수 완료"
        )
    ).one()
    session.rollback()
    page.select_option("#an-template", str(template.id))
    body = page.locator("#an-body")
    expect(body).to_have_value(re.compile(r"\[\[조치 내용\]\]"))
    filled = (
        body.input_value()
        .replace("[[조치 내용]]", "깨진 보도블럭 12장 교체")
        .replace("[[조치 일시]]", "12월 8일 오전")
        .replace("[[담당자 연락처]]", "도로과 보도팀")
    )
    body.fill(filled)
    page.get_by_role("button", name="답변 보내기").click()
    expect(page.locator("h1 .status-answered")).to_be_visible()
    screenshot("6-answered")

    # The Event API address was wrong: the answer fails, and the case page says so, in Korean.
    _worker_pass(engine, session)
    answer = session.scalars(
        select(OutboxItem).where(OutboxItem.case_id == kakao_case.id, OutboxItem.kind == "answer")
    ).one()
    assert answer.status is OutboxStatus.failed, answer.last_error
    page.goto(case_url)
    delivery = page.locator(f"#delivery-{answer.id}")
    expect(delivery.locator(".delivery-status-failed")).to_have_text("보내지 못함")
    expect(delivery.locator(".delivery-reason")).not_to_be_empty()
    screenshot("7-delivery-failed")
    # The admin puts the right address back; the officer sends it again from the case.
    _set_kakao_api_url(session, kakao, f"{base}/sandbox/kakao")
    delivery.get_by_role("button", name="다시 보내기").click()
    expect(page.locator(f"#delivery-{answer.id} .delivery-status-pending")).to_be_visible()
    _worker_pass(engine, session)
    page.goto(case_url)
    expect(page.locator(f"#delivery-{answer.id} .delivery-status-sent")).to_be_visible()
    page.goto(f"{base}/sandbox/kakao/{bot_id}/?user={KAKAO_USER}")
    expect(page.locator(".bubble-bot").filter(has_text="깨진 보도블럭 12장 교체")).to_have_count(1)
    screenshot("8-kakao-answer-arrived")
    # The officer was told of the failure in the console.
    page.goto(f"{base}/staff/notifications")
    expect(page.locator("main")).to_contain_text(f"{kakao_case.number}: 시민에게 답변 발송 실패")

    # The X case's officer answers too; the reply appears under the mention on the timeline.
    session.rollback()
    x_case = session.get(Case, x_case.id) or x_case
    x_officer = session.get(User, x_case.officer_id) if x_case.officer_id else None
    assert x_officer is not None
    actions.start_work(session, actor=Actor.for_user(x_officer), case_id=x_case.id)
    actions.answer(session, actor=Actor.for_user(x_officer), case_id=x_case.id, body=X_ANSWER)
    _worker_pass(engine, session)
    page.goto(f"{base}/sandbox/x/")
    expect(page.locator(".tweet-reply").filter(has_text="안정기를 오늘 교체했습니다")).to_have_count(1)
    screenshot("9-x-answer-arrived")

    # --- The web case is the city's road (올림픽로): the centre transfers it to 서울특별시 with everything.
    _login(page, base, "songpa.operator")
    web_url = f"{base}/staff/cases/{quote(web_number)}"
    page.goto(web_url)
    page.locator("summary", has_text="기관 이송").click()
    page.select_option("#to-org", "seoul")
    page.fill("#to-reason", "올림픽로 가로등은 서울특별시 도로사업소 관리 시설입니다.")
    page.get_by_role("button", name="기관 이송").last.click()
    banner = page.locator(".banner-transfer")
    expect(banner).to_contain_text("서울특별시로 이송됨")
    session.rollback()
    web_case = session.scalars(select(Case).where(Case.number == web_number)).one()
    assert web_case.status is CaseStatus.transferred_out and web_case.transferred_to_case_id is not None
    seoul_case = session.get(Case, web_case.transferred_to_case_id)
    assert seoul_case is not None
    expect(banner.locator("a.case-number, .case-number")).to_have_text(seoul_case.number)
    screenshot("10-transferred-out")

    _login(page, base, "seoul.operator")
    page.goto(f"{base}/staff/cases/{quote(seoul_case.number)}")
    expect(page.locator(".banner-transfer")).to_contain_text("송파구에서 이송됨")
    expect(page.locator(".banner-transfer")).to_contain_text(web_number)
    messages = page.locator("#messages-title ~ article.message")
    expect(messages.filter(has_text="가로등 세 개가")).to_have_count(1)
    expect(messages.filter(has_text=WEB_FOLLOW_UP)).to_have_count(1)
    expect(page.locator(".attachments img")).to_have_count(1)
    expect(page.locator(".citizen-choice")).to_have_text("시민이 고른 분야: 가로등·보안등 고장")
    screenshot("11-received-by-seoul")
    session.rollback()
    assert session.scalar(
        select(Attachment.id).join(Message, Message.id == Attachment.message_id).where(Message.case_id == seoul_case.id)
    )
    # The citizen's link still works and says where the complaint went, with the new number.
    page.context.clear_cookies()
    page.goto(tracking_url)
    expect(page.locator(".banner-transfer")).to_contain_text("서울특별시로 이송됨")
    expect(page.locator(".banner-transfer")).to_contain_text(seoul_case.number)
    # The public page names the place the pin fell in, never its coordinates.
    expect(page.locator(".case-place")).to_contain_text("송파구")
    assert f"{web_case.latitude:.4f}" not in page.content()
    screenshot("12-citizen-sees-the-transfer")
    # ... and follows it to 서울특별시's case (not public yet: their own link opens it), which links back.
    page.locator(".banner-transfer a.case-number").click()
    expect(page.locator("h1 .case-number")).to_have_text(seoul_case.number)
    expect(page.locator(".banner-transfer")).to_contain_text("송파구에서 이송됨")
    expect(page.locator(".banner-transfer a.case-number")).to_have_text(web_number)
