"""The demo loader: every status, every persona, masked public texts, settled outbox, and determinism."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sotong.actors import Role
from sotong.audit.models import AuditEvent
from sotong.cases.deadlines.models import ClosureDay, SlaPolicy
from sotong.cases.models import Answer, Case, CaseStatus, Message
from sotong.cases.status import OPEN_STATUSES
from sotong.channels import sandbox
from sotong.cli import app
from sotong.db import make_engine, session_factory
from sotong.demo import data
from sotong.demo.loader import load_demo
from sotong.orgs.models import Channel, ChannelAccount, Department, Organisation, User
from sotong.orgs.passwords import verify_password
from sotong.outbox.models import OutboxItem, OutboxStatus

runner = CliRunner()
BACKENDS = ["sqlite", "postgresql"]
MOBILE = re.compile(r"01[016789][ .-]?\d{3,4}[ .-]?\d{4}")
NOW = dt.datetime(2026, 11, 20, 5, 30, tzinfo=dt.UTC)  # a Friday, 14:30 in Seoul


@pytest.fixture
def loaded(demo_db: tuple[str, str]) -> Iterator[Session]:
    engine = make_engine(demo_db[0])
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def test_the_logins_are_printed(demo_db: tuple[str, str]) -> None:
    output = demo_db[1]
    assert "songpa.roads.officer" in output
    assert data.DEMO_PASSWORD in output
    assert "/staff/" in output
    assert "/sandbox/facebook/" in output and "/sandbox/email/" in output  # where to write as a citizen


def test_every_status_appears(loaded: Session) -> None:
    statuses = set(loaded.scalars(select(Case.status).distinct()))
    assert statuses == set(CaseStatus)


def test_the_demo_shows_the_flows_around_the_statuses(loaded: Session) -> None:
    cases = list(loaded.scalars(select(Case)))
    assert any(c.extended_at is not None for c in cases)
    assert any(c.satisfaction is not None for c in cases)
    assert any(c.source_case_id is not None for c in cases)
    # Both directions of 이송 between the city and a district.
    orgs = {o.id: o.slug for o in loaded.scalars(select(Organisation))}
    moves = {
        (orgs[c.org_id], orgs[loaded.get(Case, c.transferred_to_case_id).org_id])
        for c in cases
        if c.transferred_to_case_id
    }  # type: ignore[union-attr]
    assert any(src != "seoul" and dst == "seoul" for src, dst in moves)
    assert any(src == "seoul" and dst != "seoul" for src, dst in moves)
    # A reopened case came back through a citizen's reply or the desk, and was answered twice.
    assert loaded.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.reopened")) or (
        loaded.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.follow_up"))
    )
    assert any(len(c.answers) >= 2 for c in cases)
    assert loaded.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.transferred"))


def test_every_organisation_has_its_personas(loaded: Session) -> None:
    users = list(loaded.scalars(select(User)))
    by_org: dict[int, list[User]] = {}
    for user in users:
        by_org.setdefault(user.org_id, []).append(user)
    orgs = list(loaded.scalars(select(Organisation)))
    assert {o.slug for o in orgs} == {"seoul", "songpa", "mapo"}
    for org in orgs:
        roles = {u.role for u in by_org[org.id]}
        assert roles == set(Role), org.slug
        departments = list(loaded.scalars(select(Department).where(Department.org_id == org.id)))
        assert 4 <= len(departments) <= 6
        for department in departments:
            staff = {u.role for u in by_org[org.id] if u.department_id == department.id}
            assert {Role.dept_manager, Role.officer} <= staff, department.name
    names = {u.username for u in users}
    assert {"songpa.admin", "songpa.operator", "songpa.roads.manager", "songpa.roads.officer", "seoul.viewer"} <= names
    assert verify_password(next(u for u in users if u.username == "mapo.viewer").password_hash, data.DEMO_PASSWORD)


def test_the_organisations_are_configured(loaded: Session) -> None:
    orgs = {o.slug: o for o in loaded.scalars(select(Organisation))}
    assert orgs["songpa"].parent_id == orgs["seoul"].id == orgs["mapo"].parent_id
    mayor = loaded.scalar(select(ChannelAccount).where(ChannelAccount.handle == "@seoul_mayor_demo"))
    assert mayor is not None and mayor.reply_via_account_id is not None
    centre = loaded.get(ChannelAccount, mayor.reply_via_account_id)
    assert centre is not None and centre.handle == "@seoulcity"
    assert loaded.scalar(select(ChannelAccount).where(ChannelAccount.handle == "@songpaOK")) is not None
    policies = list(loaded.scalars(select(SlaPolicy)))
    assert any(p.answer_target_minutes == 30 for p in policies)
    assert any(p.resolution_value == 3 and p.category_id is not None for p in policies)
    assert loaded.scalar(select(func.count()).select_from(ClosureDay))


def test_the_platform_accounts_talk_to_the_bundled_sandboxes(loaded: Session) -> None:
    """`make run` serves the sandboxes at the settings' base URL: the demo's platform accounts are theirs."""
    kakao = list(loaded.scalars(select(ChannelAccount).where(ChannelAccount.channel == Channel.kakao)))
    assert {a.handle for a in kakao} == {"서울시 응답소", "송파구청", "마포구청"}
    for account in kakao:
        assert sandbox.is_sandbox(account.config)
        assert account.config["api_url"] == "http://127.0.0.1:8000/sandbox/kakao"
    bots = sandbox.kakao_bots(loaded, "http://127.0.0.1:8000")
    assert len({bot["bot_id"] for bot in bots}) == 3
    assert all(bot["skill_token"] and bot["rest_api_key"] for bot in bots)
    x = {a.handle: a for a in loaded.scalars(select(ChannelAccount).where(ChannelAccount.channel == Channel.x))}
    assert all(a.config["base_url"] == "http://127.0.0.1:8000/sandbox/x" for a in x.values())
    official = {a["username"]: a for a in sandbox.x_accounts(loaded)}
    assert set(official) == {"seoulcity", "seoul_mayor_demo", "songpaOK", "mapo_minwon"}
    assert len({a["user_id"] for a in official.values()}) == 4
    base = "http://127.0.0.1:8000"
    pages = sandbox.facebook_pages(loaded, base)
    assert {p["name"] for p in pages} == {"서울특별시 페이스북", "송파구청 페이스북", "마포구청 페이스북"}
    assert all(p["webhook_url"].startswith(f"{base}/hooks/facebook/") for p in pages)
    assert {o["username"] for o in sandbox.mastodon_officials(loaded)} == {"seoulcity", "songpa"}
    assert [p["name"] for p in sandbox.naver_partners(loaded, base)] == ["마포구 네이버 톡톡"]
    assert [s["name"] for s in sandbox.sms_services(loaded, base)] == ["송파구 문자 민원"]
    mailboxes = sandbox.email_mailboxes(loaded)
    assert {m["address"] for m in mailboxes} == {
        "eungdapso@seoul.example",
        "minwon@songpa.example",
        "minwon@mapo.example",
    }
    assert {(m["host"], m["imap_port"], m["smtp_port"]) for m in mailboxes} == {("127.0.0.1", *sandbox.MAIL_PORTS)}
    practice = [Channel.kakao, Channel.x, Channel.facebook, Channel.mastodon, Channel.naver, Channel.sms, Channel.email]
    for account in loaded.scalars(select(ChannelAccount).where(ChannelAccount.channel.in_(practice))):
        assert sandbox.is_sandbox(account.config), account.handle
    # No platform of their own: the web form, the call centre and the counter.
    others = loaded.scalars(
        select(ChannelAccount).where(ChannelAccount.channel.in_([Channel.web, Channel.phone, Channel.visit]))
    )
    assert not any(sandbox.is_sandbox(a.config) for a in others)


def test_no_raw_phone_number_is_public(loaded: Session) -> None:
    cases = list(loaded.scalars(select(Case)))
    assert any(MOBILE.search(c.body) for c in cases), "the demo should show masking at work"
    for case in cases:
        assert case.public_text is not None
        assert not MOBILE.search(case.public_text), case.number
        assert "@example.com" not in case.public_text
    for answer in loaded.scalars(select(Answer)):
        assert answer.public_body is not None and not MOBILE.search(answer.public_body)


def test_history_lies_in_the_past_month(loaded: Session) -> None:
    now = dt.datetime.now(dt.UTC)
    received = list(loaded.scalars(select(Message.received_at)))
    assert max(received) < now
    assert min(received) > now - dt.timedelta(days=31)
    assert max(received) - min(received) > dt.timedelta(days=10)
    last_event = loaded.scalar(select(func.max(AuditEvent.at)))
    assert last_event is not None and last_event < now
    answered = list(loaded.scalars(select(Case).where(Case.answered_at.is_not(None))))
    assert all(c.received_at <= c.answered_at for c in answered)  # type: ignore[operator]


def test_historic_deliveries_are_settled(loaded: Session) -> None:
    pending = list(
        loaded.scalars(select(OutboxItem).where(OutboxItem.status.not_in([OutboxStatus.sent, OutboxStatus.cancelled])))
    )
    # Only in-app notifications about open cases wait for the worker; nothing goes to the fictional citizens
    # (receipts of cases hidden as spam were withdrawn, not sent).
    for item in pending:
        assert item.transport == "inapp"
        case = loaded.get(Case, item.case_id)
        assert case is not None and case.status in OPEN_STATUSES


def test_if_empty_leaves_a_loaded_database_alone(
    loaded: Session, demo_db: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOTONG_DATABASE_URL", demo_db[0])
    before = loaded.scalar(select(func.count()).select_from(Case))
    result = runner.invoke(app, ["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "not loaded" in result.output
    again = runner.invoke(app, ["demo", "--messages", "5"])
    assert again.exit_code == 1
    assert "already has organisations" in again.output
    loaded.expire_all()
    assert loaded.scalar(select(func.count()).select_from(Case)) == before


# --------------------------------------------------------------------------------------------- determinism


def _load_copy(template: Path, tmp_path: Path, name: str, *, seed: int) -> list[tuple[object, ...]]:
    path = tmp_path / f"{name}.db"
    shutil.copy(template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        with session_factory(engine)() as session:
            load_demo(session, seed=seed, messages=40, now=NOW)
            rows = session.execute(
                select(
                    Case.number, Case.status, Case.body, Case.department_id, Case.officer_id, Case.received_at
                ).order_by(Case.number)
            ).all()
            events = session.scalar(select(func.count()).select_from(AuditEvent))
        return [tuple(r) for r in rows] + [("events", events)]
    finally:
        engine.dispose()


def test_the_same_seed_gives_the_same_demo(sqlite_template: Path, tmp_path: Path) -> None:
    first = _load_copy(sqlite_template, tmp_path, "a", seed=11)
    assert first == _load_copy(sqlite_template, tmp_path, "b", seed=11)
    assert first != _load_copy(sqlite_template, tmp_path, "c", seed=12)


def test_a_failed_load_leaves_nothing_behind(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sotong.demo import loader

    path = tmp_path / "broken.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")

    def explode(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "_settle_demo_outbox", explode)
    with session_factory(engine)() as session:
        with pytest.raises(RuntimeError):
            load_demo(session, messages=10, now=NOW)
        assert session.scalar(select(func.count()).select_from(Organisation)) == 0
    engine.dispose()
