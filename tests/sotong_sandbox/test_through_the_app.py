"""Each bundled sandbox against the product itself, as the demo runs them: a citizen's message sent from the
sandbox reaches the app (its webhook, or its poller), a worker pass opens the case and delivers the receipt, an
officer answers, and both arrive back in the sandbox where the citizen is looking (chat, thread, phone).

The app is served over real HTTP (the product calls the sandbox at its base URL, the sandbox calls the product's
webhooks); the worker's passes are run here, one at a time.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.app import create_app
from sotong.cases import actions
from sotong.cases.actions.intake import submit_web_form
from sotong.cases.models import Case, CaseStatus, ComplaintType
from sotong.channels import accounts as channel_accounts
from sotong.channels import registry, sandbox
from sotong.channels.base import ProbeError
from sotong.channels.health import health_of, is_failing
from sotong.channels.intake.conversations import close_silent
from sotong.db import session_factory, utcnow
from sotong.demo.loader import load_demo
from sotong.orgs.models import Channel, ChannelAccount
from sotong.secrets import open_config
from sotong.settings import Settings
from sotong.worker import run_pass, warm_models
from tests.factories import World
from tests.live_server import LiveServer

COMPLAINT = "석촌호수 산책로 보도블럭이 깨져서 넘어질 뻔했습니다. 보수 부탁드립니다."
HTTP = httpx.Client(timeout=60)
ANSWER = "보도블럭을 오늘 새로 깔았습니다. 알려 주셔서 고맙습니다."


@pytest.fixture(scope="module", autouse=True)
def _http() -> Iterator[None]:
    """The language models loaded before the first webhook (which waits for intake, as the platforms do, and would
    otherwise wait for their loading too); the module's HTTP client closed with its connections at the end."""
    warm_models()
    yield
    HTTP.close()


@pytest.fixture
def db_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: these tests are about the platforms' protocols, which no database changes."""
    path = tmp_path / "sotong.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def live(settings: Settings, engine: Engine) -> Iterator[LiveServer]:
    server = LiveServer(settings, engine, own_base_url=True)
    server.start()
    yield server
    server.stop()


def _account(session: Session, world: World, live: LiveServer, channel: Channel, handle: str) -> ChannelAccount:
    """A practice account of 송파구, configured as the demo configures its own (loaded, and no transaction left
    open: the app writes while the test reads)."""
    config = sandbox.practice_config(channel, live.url, name=f"test-{channel.value}")
    account = channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=channel,
        handle=handle,
        display_name=f"송파구 {channel.value}",
        config=config,
    )
    session.refresh(account)
    session.rollback()
    return account


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(account: ChannelAccount) -> dict[str, Any]:
    return dict(account.config or {})


def _until(engine: Engine, session: Session, found: Callable[[], Any]) -> Any:
    """Worker passes (the chat conversations closed as if the citizen fell silent) until `found` returns something."""
    factory = session_factory(engine)
    for _ in range(4):
        session.rollback()
        close_silent(factory, now=utcnow() + dt.timedelta(hours=1))
        run_pass(factory, worker_id="sandbox-test")
        session.rollback()
        result = found()
        if result:
            return result
    raise AssertionError("nothing arrived after four worker passes")


def _case(session: Session, account: ChannelAccount) -> Case:
    case: Case = session.scalars(select(Case).where(Case.channel_account_id == account.id)).one()
    return case


def _answer(session: Session, world: World, case: Case) -> None:
    """The operator routes the case to 도로과, the officer takes it on and answers."""
    operator, officer = world.actor(world.operator), world.actor(world.officer)
    if case.status in (CaseStatus.received, CaseStatus.triaged):
        case = actions.triage(
            session,
            actor=operator,
            case_id=case.id,
            complaint_type=ComplaintType.grievance,
            category_id=world.pothole.id,
        )
    if case.officer_id is None:
        case = actions.assign(session, actor=operator, case_id=case.id, officer_id=world.officer.id)
    if case.status is CaseStatus.assigned:
        actions.start_work(session, actor=officer, case_id=case.id)
    actions.answer(session, actor=officer, case_id=case.id, body=ANSWER)


def _texts(items: list[dict[str, Any]], key: str = "text") -> list[str]:
    return [str(item[key]) for item in items]


def _bot_bubbles(url: str, user: str) -> list[str]:
    bubbles = HTTP.get(url, params={"user": user}).json()["bubbles"]
    assert not [b for b in bubbles if b["from"] == "system"], bubbles  # no delivery refused on the way
    return [b["text"] for b in bubbles if b["from"] == "bot"]


def test_a_facebook_comment_is_answered_under_it(
    live: LiveServer, engine: Engine, session: Session, world: World
) -> None:
    account = _account(session, world, live, Channel.facebook, "songpagu")
    base = f"{live.url}/sandbox/facebook/{_config(account)['page_id']}"
    assert "연습용(샌드박스)" in HTTP.get(f"{base}/").text
    posted = HTTP.post(f"{base}/post", json={"name": "김민지", "text": COMPLAINT})
    assert posted.status_code == 201 and posted.json()["comment"]["problem"] is None
    session.rollback()
    case = _case(session, account)  # taken in by the webhook at once (a comment is no chat)
    assert case.body == COMPLAINT

    def replies() -> list[str]:
        return [i["text"] for i in HTTP.get(f"{base}/timeline").json()["items"] if i["reply"]]

    assert case.number in " ".join(_until(engine, session, replies))
    _answer(session, world, case)
    assert any(ANSWER in text for text in _until(engine, session, lambda: [t for t in replies() if ANSWER in t]))


def test_a_messenger_chat_is_answered_in_the_chat(
    live: LiveServer, engine: Engine, session: Session, world: World
) -> None:
    account = _account(session, world, live, Channel.facebook, "songpagu")
    base = f"{live.url}/sandbox/facebook/{_config(account)['page_id']}/messenger"
    visitor = "7000000000000001"
    for text in ("안녕하세요", COMPLAINT):
        assert HTTP.post(f"{base}/say", json={"user": visitor, "text": text}).status_code == 200
    case = _until(engine, session, lambda: session.scalars(select(Case)).first())
    assert "안녕하세요" in case.body and COMPLAINT in case.body  # the bubbles became one case
    assert case.number in " ".join(_until(engine, session, lambda: _bot_bubbles(f"{base}/messages", visitor)))
    _answer(session, world, case)
    _until(engine, session, lambda: [t for t in _bot_bubbles(f"{base}/messages", visitor) if ANSWER in t])


def test_a_talktalk_chat_is_answered_in_the_chat(
    live: LiveServer, engine: Engine, session: Session, world: World
) -> None:
    account = _account(session, world, live, Channel.naver, "송파구 톡톡")
    base = f"{live.url}/sandbox/naver/{account.id}"
    assert "연습용(샌드박스)" in HTTP.get(f"{base}/").text
    assert HTTP.post(f"{base}/say", json={"user": "talk-user-1", "text": COMPLAINT}).status_code == 200
    case = _until(engine, session, lambda: session.scalars(select(Case)).first())
    assert case.body == COMPLAINT and case.author_handle == "talk-user-1"
    assert case.number in " ".join(_until(engine, session, lambda: _bot_bubbles(f"{base}/messages", "talk-user-1")))
    _answer(session, world, case)
    _until(engine, session, lambda: [t for t in _bot_bubbles(f"{base}/messages", "talk-user-1") if ANSWER in t])


def test_a_mastodon_mention_is_answered_in_its_thread(
    live: LiveServer, engine: Engine, session: Session, world: World
) -> None:
    account = _account(session, world, live, Channel.mastodon, "@songpa_gu@mastodon.example")
    base = f"{live.url}/sandbox/mastodon"
    assert "@songpa_gu" in HTTP.get(f"{base}/").text
    posted = HTTP.post(f"{base}/post", json={"username": "minji", "name": "김민지", "text": f"@songpa_gu {COMPLAINT}"})
    assert posted.status_code == 201
    case = _until(
        engine, session, lambda: session.scalars(select(Case).where(Case.channel_account_id == account.id)).first()
    )
    assert COMPLAINT in case.body

    def replies() -> list[str]:
        return [i["text"] for i in HTTP.get(f"{base}/timeline").json()["items"] if i["reply"]]

    receipt = _until(engine, session, replies)
    assert receipt[0].startswith("@minji ") and case.number in receipt[0]
    _answer(session, world, case)
    _until(engine, session, lambda: [t for t in replies() if ANSWER in t])


def test_a_text_message_is_answered_on_the_phone(
    live: LiveServer, engine: Engine, session: Session, world: World
) -> None:
    account = _account(session, world, live, Channel.sms, "#0120")
    base = f"{live.url}/sandbox/sms/{account.id}"
    assert "010" in HTTP.get(f"{base}/").text or "연습용" in HTTP.get(f"{base}/").text
    phone = "01055551234"
    assert HTTP.post(f"{base}/say", json={"user": phone, "text": COMPLAINT}).status_code == 200
    session.rollback()
    case = _case(session, account)
    assert case.contact == {"phone": phone}
    assert case.number in " ".join(_until(engine, session, lambda: _bot_bubbles(f"{base}/messages", phone)))
    _answer(session, world, case)
    _until(engine, session, lambda: [t for t in _bot_bubbles(f"{base}/messages", phone) if ANSWER[:10] in t])


def test_an_email_is_answered_in_the_citizens_inbox(
    live: LiveServer, engine: Engine, session: Session, world: World
) -> None:
    ports = (_free_port(), _free_port())
    config = sandbox.practice_config(
        Channel.email, live.url, name="test-email", handle="minwon@songpa.example", mail_ports=ports
    )
    account = channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.email, handle="minwon@songpa.example",
        display_name="송파구 민원 전자우편", config=config,
    )  # fmt: skip
    account_id = account.id
    session.rollback()
    base = f"{live.url}/sandbox/email"
    assert "minwon@songpa.example" in HTTP.get(f"{base}/").text  # the page starts the mail servers
    citizen = "minji.kim@example.com"
    mail = {"sender": citizen, "name": "김민지", "to": "minwon@songpa.example", "subject": "보도블럭 파손"}
    assert HTTP.post(f"{base}/send", json={**mail, "text": COMPLAINT}).status_code == 201
    # The worker reads it over IMAP, opens the case and mails the receipt over SMTP.
    case = _until(
        engine, session, lambda: session.scalars(select(Case).where(Case.channel_account_id == account_id)).first()
    )
    assert COMPLAINT in case.body and case.contact == {"email": citizen}

    def inbox() -> list[dict[str, Any]]:
        mails: list[dict[str, Any]] = HTTP.get(f"{base}/inbox", params={"user": citizen}).json()["mails"]
        return mails

    (receipt,) = _until(engine, session, inbox)
    assert receipt["subject"] == "Re: 보도블럭 파손" and case.number in receipt["text"]
    _answer(session, world, case)
    answered = _until(engine, session, lambda: [m for m in inbox() if ANSWER in m["text"]])
    assert answered[0]["subject"] == "Re: 보도블럭 파손"


def test_every_practice_account_passes_its_connection_test(live: LiveServer, session: Session, world: World) -> None:
    """The set-up page's "연결 확인" asks each sandbox as it would ask the platform, and the demo's settings work."""
    channels = [Channel.kakao, Channel.x, Channel.facebook, Channel.mastodon, Channel.naver, Channel.sms, Channel.email]
    accounts = {
        channel: _account(session, world, live, channel, f"@practice_{channel.value}@mastodon.example")
        for channel in channels[:-1]
    }
    config = sandbox.practice_config(
        Channel.email, live.url, name="probe", handle="minwon@songpa.example", mail_ports=(_free_port(), _free_port())
    )
    accounts[Channel.email] = channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.email, handle="minwon@songpa.example",
        config=config,
    )  # fmt: skip
    configs = {channel: open_config(account.config) for channel, account in accounts.items()}
    session.rollback()
    assert "minwon@songpa.example" in HTTP.get(f"{live.url}/sandbox/email/").text  # its servers are listening
    for channel, config in configs.items():
        connector = registry.get_connector(channel.value)
        assert connector is not None and connector.probes, channel
        connector.probe(config)
    # A wrong key is refused by the sandbox as the platform refuses it.
    with pytest.raises(ProbeError) as refused:
        registry.get_connector("sms").probe({**configs[Channel.sms], "secret_key": "wrong"})  # type: ignore[union-attr]
    assert refused.value.key == "channels.probe.sms.bad_key"


def test_a_fresh_demo_has_no_failing_account(
    live: LiveServer, engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every demo account points at a sandbox that answers: after the worker's first pass (each polled account
    polled), no account's health shows an error ("account config lacks …" before the sandboxes)."""
    monkeypatch.setattr(sandbox, "MAIL_PORTS", (_free_port(), _free_port()))  # not the demo's own, maybe in use
    load_demo(session, messages=0, base_url=live.url)
    session.commit()
    assert HTTP.get(f"{live.url}/sandbox/email/").status_code == 200  # the demo was loaded after the start
    run_pass(session_factory(engine), worker_id="sandbox-test")
    session.rollback()
    accounts = list(session.scalars(select(ChannelAccount)))
    health = health_of(session, [a.id for a in accounts])
    polled = {a.channel for a in accounts if a.id in health and health[a.id].last_poll_at is not None}
    assert {Channel.x, Channel.mastodon, Channel.email} <= polled
    failing = {a.handle: health[a.id].last_error for a in accounts if is_failing(health.get(a.id))}
    assert failing == {}


def test_the_mail_servers_start_and_stop_with_the_app(
    settings: Settings, engine: Engine, session: Session, world: World
) -> None:
    """`sotong serve` after `sotong demo`: the practice mailboxes' servers listen from the start (the worker polls
    them before anyone opens the page), and stop with the app."""
    ports = (_free_port(), _free_port())
    config = sandbox.practice_config(Channel.email, settings.base_url, name="m", handle="a@b.example", mail_ports=ports)
    channel_accounts.create_channel_account(
        session, actor=CLI, org_id=world.songpa.id, channel=Channel.email, handle="a@b.example", config=config
    )
    session.rollback()
    with TestClient(create_app(settings=settings, engine=engine)):
        for port in ports:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    for port in ports:
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_web_form_citizens_answer_arrives_on_their_phone(
    live: LiveServer, engine: Engine, session: Session, world: World
) -> None:
    """The pilot's first complaint (issue 14): a web-form citizen who left a mobile number is answered by SMS
    through the organisation's SMS account; in the demo that text arrives on the sandbox's phone screen."""
    account = _account(session, world, live, Channel.sms, "#0120")
    base = f"{live.url}/sandbox/sms/{account.id}"
    case = submit_web_form(session, org_slug="songpa", text=COMPLAINT, submission_id="web-1", phone="010-1234-5678")
    _answer(session, world, case)
    _until(engine, session, lambda: [t for t in _bot_bubbles(f"{base}/messages", "01012345678") if ANSWER[:10] in t])
