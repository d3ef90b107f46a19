"""The web form asks 공개 / 비공개 / 공익신고: 비공개 and 공익신고 are private from the first second and can never be
released; an unknown choice is refused with the form shown again."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import Case
from sotong.errors import IllegalTransition
from sotong.settings import Settings
from tests.channels.webform_support import form_data
from tests.factories import World

CASE_NUMBER = re.compile(r'class="case-number">([^<]+)<')


def _filed(client: TestClient, settings: Settings, session: Session, visibility: str) -> Case:
    text = "석촌호수로 가로등이 고장났어요. 밤에 너무 어두워요"
    response = client.post("/report", data=form_data(client, settings, text=text, visibility=visibility))
    assert response.status_code == 200, response.text
    number = CASE_NUMBER.search(response.text)
    assert number
    case = session.scalar(select(Case).where(Case.number == number.group(1)))
    assert case is not None
    return case


def test_the_form_offers_the_choice_public_first(client: TestClient, world: World) -> None:
    page = client.get("/report?org=songpa").text
    assert 'name="visibility" value="public" checked' in page
    assert 'value="private"' in page and 'value="whistleblower"' in page


@pytest.mark.parametrize(
    ("visibility", "citizen_private", "whistleblower"),
    [("public", False, False), ("private", True, False), ("whistleblower", False, True)],
)
def test_the_choice_is_kept_from_the_first_second(
    client: TestClient,
    session: Session,
    world: World,
    settings: Settings,
    visibility: str,
    citizen_private: bool,
    whistleblower: bool,
) -> None:
    case = _filed(client, settings, session, visibility)
    assert case.citizen_private is citizen_private and case.is_whistleblower is whistleblower
    operator = world.actor(world.operator)
    if visibility == "public":
        actions.release(session, actor=operator, case_id=case.id)
        assert client.get(f"/cases/{case.number}").status_code == 200
    else:
        with pytest.raises(IllegalTransition):
            actions.release(session, actor=operator, case_id=case.id)
        assert client.get(f"/cases/{case.number}").status_code == 404


def test_an_unknown_choice_is_refused_with_a_reason(
    client: TestClient, session: Session, world: World, settings: Settings
) -> None:
    response = client.post("/report", data=form_data(client, settings, visibility="everyone"))
    assert response.status_code == 422
    assert "공개 여부를 다시 골라 주세요" in response.text
    assert session.scalar(select(Case)) is None
