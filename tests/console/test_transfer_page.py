"""The case pages of a transfer between organisations: what the citizen wrote on both, a banner, links both ways."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.cases.test_transfer import _transferred
from tests.factories import World
from tests.web.conftest import login


def test_the_receiving_organisation_reads_the_complaint(client: TestClient, session: Session, world: World) -> None:
    old, new = _transferred(session, world)
    login(client, world.seoul_operator)
    page = html.unescape(client.get(f"/staff/cases/{new.number}").text)
    messages = page[page.index('id="messages-title"') : page.index('id="public-title"')]
    assert "버스정류장 표지판이 쓰러져 있습니다" in messages and "사진 하나 더 보냅니다" in messages
    assert "/staff/media/" in messages
    assert "송파구에서 이송됨" in page and old.number in page


def test_the_sending_organisation_keeps_what_it_sent(client: TestClient, session: Session, world: World) -> None:
    old, new = _transferred(session, world, release=True)  # published: the new case's page is linked
    login(client, world.operator)
    page = html.unescape(client.get(f"/staff/cases/{old.number}").text)
    messages = page[page.index('id="messages-title"') : page.index('id="public-title"')]
    assert "버스정류장 표지판이 쓰러져 있습니다" in messages and "서울특별시로 함께 이송되었습니다" in messages
    assert "서울특별시로 이송됨" in page
    assert f'href="/cases/{new.number}"' in page  # public: the citizen-facing page of the new case
