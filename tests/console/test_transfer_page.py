"""The case pages of a transfer between organisations: what the citizen wrote on both, a banner, links both ways."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases import actions
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


def test_the_citizens_category_choice_is_named_at_the_receiving_organisation(
    client: TestClient, session: Session, world: World
) -> None:
    # The choice is stored as the sending organisation's category code, which the receiving one does not have.
    case = actions.submit_web_form(
        session, org_slug="songpa", text="보도블럭이 깨져 있어요", submission_id="s-1", category_hint=world.pothole.code
    )
    new = actions.transfer_to_organisation(
        session, actor=world.actor(world.operator), case_id=case.id, target_org_id=world.seoul.id, reason="시 소관"
    )
    login(client, world.seoul_operator)
    page = html.unescape(client.get(f"/staff/cases/{new.number}").text)
    assert f"시민이 고른 분야: {world.pothole.name}" in page
