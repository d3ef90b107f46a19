"""Every public surface, for complaints filed through the web form, a platform's webhook and the JSON API: absent
before an operator releases them, there and masked after, gone the moment the case is hidden (no TTL to wait)."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import Case
from sotong.orgs.models import ChannelAccount
from sotong.settings import Settings
from tests.channels.webform_support import form_data
from tests.factories import World, publish
from tests.fakes.graph import FakeGraph

WORD = "가로등"
PHONE = "010-4321-8765"


def surfaces(client: TestClient, number: str) -> dict[str, str]:
    """Every public surface a case can appear on, by name: what an anonymous visitor or a crawler fetches."""
    songpa = {"jurisdiction_id": "songpa"}
    pages = {
        "list": client.get("/"),
        "search": client.get("/", params={"q": WORD}),
        "case page": client.get(f"/cases/{number}"),
        "rss new": client.get("/feeds/new.rss"),
        "atom new": client.get("/feeds/new.atom"),
        "district rss": client.get("/feeds/new.rss", params={"org": "songpa"}),
        "csv": client.get("/data/cases.csv"),
        "json": client.get("/data/cases.json"),
        "open311 json": client.get("/open311/v2/requests.json", params=songpa),
        "open311 xml": client.get("/open311/v2/requests.xml", params=songpa),
        "open311 one": client.get(f"/open311/v2/requests/{number}.json", params=songpa),
    }
    # A single case's address answers 404 (which names the number asked for) when the case is not public.
    single = ("case page", "open311 one")
    assert all(pages[name].status_code in (200, 404) for name in single)
    assert all(r.status_code == 200 for name, r in pages.items() if name not in single)
    return {
        name: html.unescape(response.text) if response.status_code == 200 else "" for name, response in pages.items()
    }


def _file_by_web_form(client: TestClient, settings: Settings) -> None:
    data = form_data(client, settings, text=f"석촌호수로 {WORD}이 고장났어요. 연락처 {PHONE}")
    response = client.post("/report", data=data)
    assert response.status_code == 200, response.text


def _file_by_webhook(client: TestClient, fake: FakeGraph, account: ChannelAccount) -> None:
    _, body = fake.comment(f"올림픽로 {WORD}이 깜빡거려요. 제 번호 {PHONE}")
    response = client.post(f"/hooks/facebook/{account.id}", content=body, headers=fake.sign(body))
    assert response.status_code == 200, response.text


def _file_by_api(client: TestClient) -> None:
    text = f"방이동 공원 {WORD}이 꺼졌어요. 연락처 {PHONE}"
    response = client.post("/api/v1/cases", data={"org": "songpa", "text": text, "submission_id": str(uuid.uuid4())})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("route", ["web form", "webhook", "api"])
def test_each_surface_before_release_after_release_and_after_hiding(
    route: str,
    client: TestClient,
    session: Session,
    world: World,
    settings: Settings,
    graph: FakeGraph,
    facebook_account: ChannelAccount,
) -> None:
    filers: dict[str, Callable[[], None]] = {
        "web form": lambda: _file_by_web_form(client, settings),
        "webhook": lambda: _file_by_webhook(client, graph, facebook_account),
        "api": lambda: _file_by_api(client),
    }
    filers[route]()
    session.expire_all()
    case = session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case is not None and PHONE in case.body and case.released_at is None

    before = surfaces(client, case.number)
    assert [name for name, text in before.items() if case.number in text] == []

    publish(session, world, case)
    after = surfaces(client, case.number)
    missing = [name for name, text in after.items() if case.number not in text]
    assert missing == []
    leaks = [name for name, text in after.items() if PHONE in text or PHONE.replace("-", "") in text]
    assert leaks == []
    assert all("[전화번호]" in after[name] for name in ("case page", "csv", "json", "open311 json", "rss new"))

    actions.withhold(session, actor=world.actor(world.operator), case_id=case.id, reason="주소가 보입니다")
    hidden = surfaces(client, case.number)
    assert [name for name, text in hidden.items() if case.number in text] == []
