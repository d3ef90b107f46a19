"""Hostile input is refused with a 4xx and a reason, never a 500, on SQLite and PostgreSQL alike (issue 22, findings
3 and 4): NUL characters, numbers beyond 64 bits, the year 1, a rating token in Hangul, an unknown template."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Case, CaseStatus
from tests.factories import World, case_in_status
from tests.web.conftest import csrf_from, login

HUGE = "99999999999999999999"
INT64_MAX = "9223372036854775807"

# (path and query, the status it must get): every shape the attacker tried, and the neighbours of each.
PUBLIC = [
    ("/cases/%00", 400),
    ("/cases/2026-%EC%86%A1%ED%8C%8C-%00", 400),
    ("/track?number=%00", 400),
    ("/?q=%00", 400),
    ("/?q=%EA%B0%80%00", 400),
    ("/feeds/%00", 400),
    ("/feeds/cases.rss?q=%00", 400),
    ("/data/cases.json?org=%00", 400),
    ("/open311/v2/requests.json?jurisdiction_id=%00", 400),
    ("/open311/v2/requests/%00.json?jurisdiction_id=songpa", 400),
    ("/open311/v2/services/%00.json?jurisdiction_id=songpa", 400),
    ("/open311/v2/tokens/%00.json?jurisdiction_id=songpa", 400),
    ("/api/v1/cases/%00", 400),
    (f"/?category={HUGE}", 400),
    (f"/?department={HUGE}", 400),
    (f"/?category=-{HUGE}", 400),
    ("/?from=0001-01-01", 400),
    ("/?to=0001-01-01", 400),
    ("/?to=9999-12-31", 400),
    ("/?from=not-a-date", 200),  # a mangled filter link still shows the unfiltered page
    ("/data/cases.json?from=0001-01-01", 400),
    ("/data/cases.csv?to=9999-12-31", 400),
    ("/open311/v2/requests.json?jurisdiction_id=songpa&end_date=0001-01-01T00:00:00Z", 400),
    ("/open311/v2/requests.json?jurisdiction_id=songpa&start_date=0001-01-01T00:00:00%2B09:00", 400),
    ("/open311/v2/requests.json?jurisdiction_id=songpa&end_date=9999-12-31T23:59:59Z", 400),
    (f"/open311/v2/requests/{HUGE}.json?jurisdiction_id=songpa", 404),
    (f"/cases/2026-%EC%86%A1%ED%8C%8C-{HUGE}", 404),
    (f"/cases/1/photos/{HUGE}", 404),
    (f"/hooks/facebook/{HUGE}", 400),
]

# Staff pages, as the persona whose pages they are (the operator's inbox, the manager's queue, the admin's pages).
STAFF = {
    "operator": [
        (f"/staff/cases?page={INT64_MAX}", 400),
        (f"/staff/cases?category_id={HUGE}", 400),
        (f"/staff/inbox?category_id={HUGE}", 400),
        (f"/staff/inbox/updates?since={HUGE}", 400),
        (f"/api/v1/cases?page={INT64_MAX}", 422),
        (f"/api/v1/cases?category_id={HUGE}", 422),
        ("/api/v1/cases?received_from=0001-01-01T00:00:00%2B09:00", 400),
        (f"/api/v1/cases/2026-%EC%86%A1%ED%8C%8C-{HUGE}", 404),
        ("/staff/cases?q=%00", 400),
    ],
    "manager": [(f"/staff/queue?page={INT64_MAX}", 400)],
    "admin": [(f"/staff/admin/users/{HUGE}", 400), (f"/staff/admin/users/{INT64_MAX}", 404)],
}


def _png() -> bytes:
    """A real (tiny) PNG: API photos are decoded and re-encoded."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, format="PNG")
    return out.getvalue()


def _answers(client: TestClient, shapes: list[tuple[str, int]]) -> list[tuple[str, int, int]]:
    wrong = []
    for url, expected in shapes:
        response = client.get(url)
        if response.status_code != expected:
            wrong.append((url, expected, response.status_code))
        elif response.status_code in (400, 422):
            assert response.text.strip(), url  # a reason, not an empty refusal
    return wrong


def test_public_routes_refuse_hostile_queries_with_a_reason(client: TestClient, world: World) -> None:
    assert _answers(client, PUBLIC) == []


@pytest.mark.parametrize("persona", sorted(STAFF))
def test_staff_routes_refuse_hostile_queries_with_a_reason(client: TestClient, world: World, persona: str) -> None:
    login(client, getattr(world, persona))
    assert _answers(client, STAFF[persona]) == []


def test_a_nul_in_the_login_form_is_refused_before_the_database(client: TestClient, world: World) -> None:
    token = csrf_from(client.get("/staff/login").text)
    for username in ("lee.operator\x00", "\x00"):
        response = client.post("/staff/login", data={"username": username, "password": "x", "csrf_token": token})
        assert response.status_code == 400
        assert "NUL" in response.text


def test_a_nul_in_json_is_a_400_and_in_a_complaint_it_is_dropped(
    client: TestClient, world: World, session: Session
) -> None:
    case = case_in_status(session, world, CaseStatus.answered)
    rating = client.post(
        f"/api/v1/cases/{case.number}/rating",
        json={"token": case.citizen_token, "score": 4, "comment": "좋아요\u0000"},
    )
    assert rating.status_code == 400 and "NUL" in rating.json()["detail"]
    form = client.post(
        "/api/v1/cases",
        data={"org": "songpa", "text": "가로등이 꺼졌어요", "submission_id": "s-1", "address": "잠실\x00동"},
        files={"files": ("photo.png", _png(), "image/png")},
    )
    # A complaint is never lost over a NUL: intake drops the character and keeps everything else.
    assert form.status_code == 201
    stored = session.scalar(select(Case).where(Case.number == form.json()["number"]))
    assert stored is not None and stored.address == "잠실동"


@pytest.mark.parametrize(
    ("token", "status"),
    [('"토큰"', 404), ('"\\u00ff\\u00fe"', 404), ('"' + "x" * 64 + '"', 404), ('"\\ud800"', 422)],
)
def test_a_rating_token_of_any_text_is_only_wrong(
    client: TestClient, world: World, session: Session, token: str, status: int
) -> None:
    case = case_in_status(session, world, CaseStatus.answered)
    body = ('{"score": 5, "token": ' + token + "}").encode()
    response = client.post(
        f"/api/v1/cases/{case.number}/rating", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status
    assert "token" in str(response.json()["detail"])


def test_deactivating_an_unknown_template_is_a_404_page(client: TestClient, world: World) -> None:
    token = login(client, world.manager)
    response = client.post("/staff/admin/answer-templates/987654/deactivate", data={"csrf_token": token})
    assert response.status_code == 404
    assert "987654" in response.text
