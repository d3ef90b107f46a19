"""Staff notifications leave Sotong by e-mail (a real aiosmtpd server) and by the organisation's webhook (a local
HTTP server checking the HMAC signature), through the outbox: retried on failure, never sent twice."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotong.cases import actions, escalation
from sotong.cases.models import CaseStatus, Message
from sotong.db import atomic, session_factory
from sotong.errors import InvalidInput, PermissionDenied
from sotong.notifications import service
from sotong.notifications.models import OrgWebhook
from sotong.notifications.transports import DELIVERY_HEADER, SIGNATURE_HEADER
from sotong.orgs.models import User
from sotong.outbox import transports
from sotong.outbox.delivery import run_once
from sotong.outbox.models import OutboxItem, OutboxStatus
from sotong.settings import Settings, reset_settings_cache
from tests.factories import World, case_in_status, inbound
from tests.fakes.server import Request, Response, serve
from tests.mailservers import SMTP_PASSWORD, SMTP_USER, running_smtp
from tests.outbox.helpers import Recording

SECRET = "messenger-bot-shared-secret-1234"


@pytest.fixture(autouse=True)
def _citizens_receive(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cases' receipts reach their citizens on X: a failed one would notify staff too (cases/hooks.py), and
    these tests count the notifications of one event."""
    monkeypatch.setitem(transports.TRANSPORTS, "x", Recording())


def _email(session: Session, user: User, address: str) -> None:
    with atomic(session):
        row = session.get(User, user.id)
        assert row is not None
        row.email = address


def _smtp_settings(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    for key, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_SECURITY": "none",
        "SMTP_USER": SMTP_USER,
        "SMTP_PASSWORD": SMTP_PASSWORD,
        "MAIL_FROM": "sotong@songpa.go.kr",
    }.items():
        monkeypatch.setenv(f"SOTONG_{key}", value)
    reset_settings_cache()


def _items(session: Session, transport: str) -> list[OutboxItem]:
    session.expire_all()
    return list(session.scalars(select(OutboxItem).where(OutboxItem.transport == transport).order_by(OutboxItem.id)))


def test_in_app_only_by_default(session: Session, world: World, settings: Settings) -> None:
    case_in_status(session, world, CaseStatus.assigned)
    assert _items(session, "inapp")
    assert _items(session, service.EMAIL_TRANSPORT) == []
    assert _items(session, service.WEBHOOK_TRANSPORT) == []


def test_assignment_mail_goes_out_once_over_smtp(
    session: Session, engine: Engine, world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_smtp() as smtp:
        _smtp_settings(monkeypatch, smtp.port)
        _email(session, world.officer, "choi@songpa.go.kr")
        service.set_email_preference(session, actor=world.actor(world.officer), email=True)
        case = case_in_status(session, world, CaseStatus.assigned)
        [item] = _items(session, service.EMAIL_TRANSPORT)
        assert item.recipient == "choi@songpa.go.kr"

        factory = session_factory(engine)
        while run_once(factory, worker_id="w1"):
            pass
        assert len(smtp.sent) == 1
        mail = smtp.sent[0]
        assert mail.rcpt_tos == ["choi@songpa.go.kr"]
        message = mail.message
        assert case.number in str(message["Subject"])
        assert f"/staff/cases/{case.number}" in message.get_content()
        assert smtp.logins == [SMTP_USER]
        # Nothing is sent twice: the item is done, another pass finds nothing.
        assert run_once(factory, worker_id="w2") == 0
        assert len(smtp.sent) == 1
        assert _items(session, service.EMAIL_TRANSPORT)[0].status is OutboxStatus.sent


def test_a_refused_address_fails_for_good(
    session: Session, engine: Engine, world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_smtp() as smtp:
        _smtp_settings(monkeypatch, smtp.port)
        smtp.handler.refuse["gone@songpa.go.kr"] = "550 No such user"
        _email(session, world.officer, "gone@songpa.go.kr")
        service.set_email_preference(session, actor=world.actor(world.officer), email=True)
        case_in_status(session, world, CaseStatus.assigned)
        run_once(session_factory(engine), worker_id="w1")
        [item] = _items(session, service.EMAIL_TRANSPORT)
        assert item.status is OutboxStatus.failed
        assert smtp.sent == []


@dataclass
class Bot:
    """The city's messenger bot: checks the signature like a real receiver would; can fail on demand."""

    fail_first: int = 0
    received: list[Request] = field(default_factory=list)
    bad_signatures: int = 0

    def handle(self, request: Request) -> Response:
        expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get(SIGNATURE_HEADER.lower(), ""), expected):
            self.bad_signatures += 1
            return Response(401, {"error": "bad signature"})
        self.received.append(request)
        if len(self.received) <= self.fail_first:
            return Response(503, {"error": "try later"})
        return Response(200, {"ok": True})


def test_webhook_is_signed_retried_and_delivered_once(
    session: Session, engine: Engine, world: World, settings: Settings
) -> None:
    bot = Bot(fail_first=1)
    with serve(bot) as base:
        service.set_org_webhook(
            session, actor=world.actor(world.admin), org_id=world.songpa.id, url=f"{base}/sotong", secret=SECRET
        )
        case = case_in_status(session, world, CaseStatus.assigned)
        [item] = _items(session, service.WEBHOOK_TRANSPORT)
        factory = session_factory(engine)
        run_once(factory, worker_id="w1")
        assert _items(session, service.WEBHOOK_TRANSPORT)[0].status is OutboxStatus.pending  # 503: retried later
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
        run_once(factory, worker_id="w1", now=later)
        assert _items(session, service.WEBHOOK_TRANSPORT)[0].status is OutboxStatus.sent
        assert run_once(factory, worker_id="w2", now=later + dt.timedelta(hours=2)) == 0

    assert bot.bad_signatures == 0
    assert len(bot.received) == 2  # the failed attempt and the retry: the same delivery id and body
    first, second = bot.received
    assert first.body == second.body
    assert first.headers[DELIVERY_HEADER.lower()] == second.headers[DELIVERY_HEADER.lower()] == item.idempotency_key
    document = json.loads(second.body)
    assert document["event"] == "assigned"
    assert document["case_number"] == case.number
    assert document["user"]["username"] == world.officer.username


def test_a_wrong_secret_is_what_the_bot_would_refuse(
    session: Session, engine: Engine, world: World, settings: Settings
) -> None:
    bot = Bot()
    with serve(bot) as base:
        service.set_org_webhook(
            session,
            actor=world.actor(world.admin),
            org_id=world.songpa.id,
            url=f"{base}/sotong",
            secret="not-the-bots-secret-at-all",
        )
        case_in_status(session, world, CaseStatus.assigned)
        run_once(session_factory(engine), worker_id="w1")
    assert bot.bad_signatures == 1 and bot.received == []
    assert _items(session, service.WEBHOOK_TRANSPORT)[0].status is OutboxStatus.failed  # 401: permanent


def test_the_webhook_secret_is_encrypted_at_rest_and_rotated(
    session: Session, engine: Engine, world: World, settings: Settings
) -> None:
    """The row never holds the secret in clear; a row from before encryption still signs; rotation reseals it."""
    hook = service.set_org_webhook(
        session, actor=world.actor(world.admin), org_id=world.songpa.id, url="https://bot.example/hook", secret=SECRET
    )
    stored = session.scalar(select(OrgWebhook.secret).where(OrgWebhook.org_id == world.songpa.id))
    assert stored is not None and SECRET not in stored and stored.startswith("enc:v1:")
    assert service.webhook_secret(hook) == SECRET

    with atomic(session):  # as an older version left it
        hook.secret = SECRET
    assert service.webhook_secret(hook) == SECRET
    assert service.rotate_webhook_secrets(session) == 1
    session.expire_all()
    row = session.get(OrgWebhook, world.songpa.id)
    assert row is not None and row.secret.startswith("enc:v1:") and service.webhook_secret(row) == SECRET


def test_escalations_use_the_same_fan_out(session: Session, world: World, settings: Settings) -> None:
    service.set_org_webhook(
        session, actor=world.actor(world.admin), org_id=world.songpa.id, url="https://bot.example/hook", secret=SECRET
    )
    case = case_in_status(session, world, CaseStatus.assigned)
    assert escalation.sweep(session, now=case.due_at - dt.timedelta(hours=1)) == 1  # due soon
    assert escalation.sweep(session, now=case.due_at + dt.timedelta(minutes=1)) == 1  # overdue
    kinds = {(i.payload["kind"], i.recipient) for i in _items(session, service.WEBHOOK_TRANSPORT)}
    assert ("due_soon", str(world.songpa.id)) in kinds and ("overdue", str(world.songpa.id)) in kinds


def test_only_admins_set_the_webhook_and_urls_are_checked(session: Session, world: World) -> None:
    with pytest.raises(PermissionDenied):
        service.set_org_webhook(
            session, actor=world.actor(world.manager), org_id=world.songpa.id, url="https://x.example", secret=SECRET
        )
    with pytest.raises(InvalidInput):
        service.set_org_webhook(
            session, actor=world.actor(world.admin), org_id=world.songpa.id, url="ftp://x.example", secret=SECRET
        )
    with pytest.raises(InvalidInput):
        service.set_org_webhook(
            session, actor=world.actor(world.admin), org_id=world.songpa.id, url="https://x.example", secret="short"
        )
    with pytest.raises(InvalidInput):  # a longer one would not fit the column once encrypted
        service.set_org_webhook(
            session, actor=world.actor(world.admin), org_id=world.songpa.id, url="https://x.example", secret="s" * 65
        )


def test_reopen_and_follow_up_notify_the_officer(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.answered)
    actions.reopen(session, actor=world.actor(world.operator), case_id=case.id, reason="아직 그대로입니다")
    kinds = [i.payload["kind"] for i in _items(session, "inapp") if i.recipient == str(world.officer.id)]
    assert "reopened" in kinds


def test_a_follow_up_on_an_unassigned_case_tells_the_departments_managers(session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.triaged)  # 도로과, nobody assigned yet
    first = session.scalars(select(Message).where(Message.case_id == case.id)).one()
    actions.receive_message(
        session,
        account_id=world.x_account.id,
        inbound=inbound("아직도 그대로예요", in_reply_to=first.external_id),
    )
    told = [(i.payload["kind"], i.recipient) for i in _items(session, "inapp") if i.payload.get("kind") == "follow_up"]
    assert told == [("follow_up", str(world.manager.id))]
