"""The categories admin page maps an organisation's categories onto the standard taxonomy, shows what a mapping
would do to recent cases before it is saved, and sets what chatter is answered with."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.orgs import actions as org_actions
from sotong.orgs.models import Organisation
from sotong.triage import actions as triage_actions
from tests.factories import World, new_case
from tests.web.conftest import login

PARKING = "아파트 앞 불법 주정차 차량 때문에 통행이 어렵습니다 단속해 주세요"


@pytest.fixture
def admin(client: TestClient, world: World) -> str:
    return login(client, world.admin)


def test_a_mapping_shows_its_effect_on_recent_cases_before_it_is_saved(
    client: TestClient, session: Session, world: World, admin: str
) -> None:
    for author in ("@a", "@b"):
        triage_actions.triage_case(session, case_id=new_case(session, world, text=PARKING, author=author).id)
    category = org_actions.create_category(
        session, actor=CLI, org_id=world.songpa.id, code="illegal-parking", name="불법 주정차"
    )
    form = {
        "csrf_token": admin,
        "code": "illegal-parking",
        "name": "불법 주정차",
        "department_id": str(world.cleaning.id),
        "standard_code": "parking",
    }
    preview = client.post(f"/staff/admin/categories/{category.id}", data={**form, "preview": "1"})
    assert preview.status_code == 200
    assert "이 매핑이면 최근 2건 중 2건이 불법 주정차 (청소행정과)로 갑니다." in preview.text
    session.refresh(category)
    assert category.standard_code is None  # a preview saves nothing

    saved = client.post(f"/staff/admin/categories/{category.id}", data=form, follow_redirects=False)
    assert saved.status_code == 303
    session.refresh(category)
    assert (category.standard_code, category.department_id) == ("parking", world.cleaning.id)
    page = client.get("/staff/admin/categories").text
    assert "표준 분류 연결" in page and f'/staff/admin/categories/{category.id}">불법 주정차</a> → 청소행정과' in page


def test_an_unknown_standard_code_is_refused_on_the_form(
    client: TestClient, session: Session, world: World, admin: str
) -> None:
    data = {"csrf_token": admin, "code": "x", "name": "엑스", "standard_code": "nope"}
    response = client.post("/staff/admin/categories", data=data)
    assert response.status_code == 422 and "알 수 없는 표준 분류입니다." in response.text


def test_the_chatter_reply_is_chosen_per_organisation(
    client: TestClient, session: Session, world: World, admin: str
) -> None:
    response = client.post(
        "/staff/admin/categories/chatter-reply",
        data={"csrf_token": admin, "chatter_reply": "none"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    org = session.get(Organisation, world.songpa.id, populate_existing=True)
    assert org is not None and org.chatter_reply == "none"
