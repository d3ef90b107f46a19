"""Every public surface, for complaints filed through the web form, a platform's webhook and the JSON API: absent
before an operator releases them, there and masked after, gone the moment the case is hidden (no TTL to wait)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import Case
from sotong.orgs.models import ChannelAccount
from sotong.settings import Settings
from tests.factories import World, publish
from tests.fakes.graph import FakeGraph
from tests.portal.public_surfaces import WORD, file_by_api, file_by_facebook, file_by_web_form, surfaces

PHONE = "010-4321-8765"


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
    filers: dict[str, Callable[[], object]] = {
        "web form": lambda: file_by_web_form(client, settings, f"석촌호수로 {WORD}이 고장났어요. 연락처 {PHONE}"),
        "webhook": lambda: file_by_facebook(
            client, graph, facebook_account, f"올림픽로 {WORD}이 깜빡거려요. 제 번호 {PHONE}"
        ),
        "api": lambda: file_by_api(client, f"방이동 공원 {WORD}이 꺼졌어요. 연락처 {PHONE}"),
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
