"""The report form's 기관 and 분야: the deployment's default or the link's organisation, never the alphabetically
first; only the chosen organisation's categories, each name once; a category of another organisation ignored."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases.models import Case
from sotong.channels.webform.service import categories_by_org, starting_org
from sotong.orgs import actions as org_actions
from sotong.settings import Settings
from tests.channels.test_webform import CASE_NUMBER
from tests.channels.webform_support import form_data
from tests.factories import World


def _selected(html: str) -> str | None:
    select_html = html[html.index('id="r-org"') : html.index("</select>", html.index('id="r-org"'))]
    found = re.search(r'<option value="([^"]*)" selected', select_html)
    return found.group(1) if found else None


def _category_options(html: str) -> list[str]:
    start = html.index('id="r-category"')
    return re.findall(r"<option value=\"[^\"]+\"[^>]*>([^<]+)</option>", html[start : html.index("</select>", start)])


def test_with_several_organisations_and_no_default_the_citizen_chooses(client: TestClient, world: World) -> None:
    page = client.get("/report").text
    assert _selected(page) is None  # not 서울특별시 because it sorts first
    assert "기관을 선택하세요" in page


def test_the_deployments_default_organisation_is_chosen(client: TestClient, world: World, settings: Settings) -> None:
    settings.default_org = "songpa"
    page = client.get("/report").text
    assert _selected(page) == "songpa"
    assert "기관을 선택하세요" not in page
    assert _selected(client.get("/report?org=seoul").text) == "seoul"  # a link naming one still wins


def test_starting_org_never_picks_the_first_of_several() -> None:
    assert starting_org(["mapo", "songpa"], asked=None, default=None) is None
    assert starting_org(["songpa"], asked=None, default=None) == "songpa"
    assert starting_org(["mapo", "songpa"], asked="nowhere", default="songpa") == "songpa"
    assert starting_org(["mapo", "songpa"], asked=None, default="gone") is None


def test_only_the_chosen_organisations_categories_each_name_once(
    client: TestClient, world: World, session: Session
) -> None:
    org_actions.create_category(session, actor=CLI, org_id=world.seoul.id, code="opinion", name="단순 의견")
    org_actions.create_category(session, actor=CLI, org_id=world.songpa.id, code="opinion", name="단순 의견")
    org_actions.create_category(session, actor=CLI, org_id=world.songpa.id, code="std-opinion", name="단순 의견")
    org_actions.create_category(session, actor=CLI, org_id=world.seoul.id, code="subway", name="지하철")
    options = _category_options(client.get("/report?org=songpa").text)
    assert options == ["단순 의견", "도로 파손"]  # not 서울특별시's 지하철, and 단순 의견 once
    grouped = categories_by_org(session)
    assert [c["name"] for c in grouped["seoul"]] == ["단순 의견", "지하철"]


def test_a_category_of_another_organisation_is_not_kept_as_the_hint(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    org_actions.create_category(session, actor=CLI, org_id=world.seoul.id, code="subway", name="지하철")
    response = client.post("/report", data=form_data(client, settings, category="subway"))
    assert response.status_code == 200, response.text
    number = CASE_NUMBER.search(response.text)
    assert number
    case = session.scalar(select(Case).where(Case.number == number.group(1)))
    assert case is not None
    message = case.messages[0]
    assert message.raw["category_hint"] is None
    kept = client.post("/report", data=form_data(client, settings, category="road-damage"))
    number = CASE_NUMBER.search(kept.text)
    assert number
    case = session.scalar(select(Case).where(Case.number == number.group(1)))
    assert case is not None and case.messages[0].raw["category_hint"] == "road-damage"


def test_without_a_chosen_organisation_the_pin_decides(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    data = form_data(client, settings, org="", latitude="37.5145", longitude="127.1059")
    response = client.post("/report", data=data)
    assert response.status_code == 200, response.text
    number = CASE_NUMBER.search(response.text)
    assert number and "-송파-" in number.group(1)
    refused = client.post("/report", data=form_data(client, settings, org=""))
    assert refused.status_code == 422
    assert "기관을 선택해 주세요" in refused.text
