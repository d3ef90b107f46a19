"""The notification page: the unread count in the menu, marking read (only one's own), preferences, webhook."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sotong.cases.models import CaseStatus
from sotong.console import notifications as views
from sotong.db import session_factory
from sotong.notifications import service
from sotong.notifications.models import Notification, OrgWebhook
from sotong.outbox import transports
from sotong.outbox.delivery import run_once
from tests.factories import World, case_in_status
from tests.outbox.helpers import Recording
from tests.web.conftest import login

BADGE = re.compile(r'id="nav-notifications">[^<]*<span class="badge"[^>]*>(\d+)</span>')


@pytest.fixture(autouse=True)
def _citizens_receive(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cases' receipts reach their citizens on X: a failed one would notify the officer too (cases/hooks.py),
    and these tests count the notifications of assignments. (After the app: its start-up registers the real X.)"""
    monkeypatch.setitem(transports.TRANSPORTS, "x", Recording())


def _deliver(engine: Engine) -> None:
    factory = session_factory(engine)
    while run_once(factory, worker_id="test"):
        pass


def test_unread_count_list_and_mark_read(client: TestClient, session: Session, engine: Engine, world: World) -> None:
    first = case_in_status(session, world, CaseStatus.assigned)
    second = case_in_status(session, world, CaseStatus.assigned)
    _deliver(engine)
    token = login(client, world.officer)
    page = client.get("/staff/notifications")
    assert page.status_code == 200
    assert BADGE.search(page.text).group(1) == "2"  # type: ignore[union-attr]
    assert first.number in page.text and second.number in page.text

    mine = session.scalars(select(Notification).where(Notification.user_id == world.officer.id)).all()
    client.post("/staff/notifications/read", data={"id": str(mine[0].id), "csrf_token": token})
    assert service.unread_count(session, user_id=world.officer.id) == 1
    page = client.get("/staff/notifications?unread=1")
    assert BADGE.search(page.text).group(1) == "1"  # type: ignore[union-attr]

    client.post("/staff/notifications/read", data={"csrf_token": token})
    page = client.get("/staff/")
    assert BADGE.search(page.text) is None
    assert service.unread_count(session, user_id=world.officer.id) == 0


def test_one_cannot_mark_someone_elses_notifications(
    client: TestClient, session: Session, engine: Engine, world: World
) -> None:
    case_in_status(session, world, CaseStatus.assigned)
    _deliver(engine)
    theirs = session.scalars(select(Notification).where(Notification.user_id == world.officer.id)).one()
    token = login(client, world.officer2)
    client.post("/staff/notifications/read", data={"id": str(theirs.id), "csrf_token": token})
    client.post("/staff/notifications/read", data={"csrf_token": token})
    assert service.unread_count(session, user_id=world.officer.id) == 1


def test_email_preference_is_saved(client: TestClient, session: Session, world: World) -> None:
    token = login(client, world.officer)
    response = client.post("/staff/notifications/preferences", data={"email": "true", "csrf_token": token})
    assert response.status_code == 200
    assert service.preference(session, user_id=world.officer.id) is True
    assert 'id="pref-email" name="email" value="true" checked' in response.text


def test_only_an_admin_sets_the_webhook(client: TestClient, session: Session, world: World) -> None:
    token = login(client, world.manager)
    assert 'action="/staff/notifications/webhook"' not in client.get("/staff/notifications").text
    refused = client.post(
        "/staff/notifications/webhook",
        data={"url": "https://bot.example/hook", "secret": "x" * 20, "enabled": "true", "csrf_token": token},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert session.get(OrgWebhook, world.songpa.id) is None

    client.post("/staff/logout", data={"csrf_token": token})
    token = login(client, world.admin)
    ok = client.post(
        "/staff/notifications/webhook",
        data={"url": "https://bot.example/hook", "secret": "x" * 20, "enabled": "true", "csrf_token": token},
    )
    assert ok.status_code == 200
    session.expire_all()
    hook = session.get(OrgWebhook, world.songpa.id)
    assert hook is not None and hook.url == "https://bot.example/hook" and hook.enabled
    assert "x" * 20 not in ok.text  # the secret is never shown back


def test_the_menu_badge_stops_at_99(
    client: TestClient, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "MENU_LIMIT", 2)
    for n in range(3):
        session.add(Notification(user_id=world.officer.id, org_id=world.songpa.id, kind="assigned", text=f"n{n}"))
    session.commit()
    login(client, world.officer)
    page = client.get("/staff/")
    assert '<span class="badge" aria-label="읽지 않은 알림 2+건">2+</span>' in page.text
    assert service.unread_count(session, user_id=world.officer.id) == 3
