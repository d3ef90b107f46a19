"""Inbox rows are rendered once and reused across desk sessions: each session still gets its own CSRF token in
a row's forms, and a row shows a change (a correction, a renamed department) on the next view."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases.models import ComplaintType
from sotong.db import atomic
from sotong.orgs.models import Department
from sotong.triage import review
from tests.console.inbox_support import desk_case
from tests.factories import World
from tests.web.conftest import csrf_from, login


def _row(html: str, case_id: int) -> str:
    row = html[html.index(f'id="case-{case_id}"') :]
    return row[: row.index("\n</li>")]


def test_each_session_gets_its_own_token_in_a_shared_row(
    client: TestClient, make_client: Callable[..., TestClient], desk: World, session: Session
) -> None:
    case = desk_case(session, desk)
    login(client, desk.operator)
    other = make_client()
    login(other, desk.admin)
    first = client.get("/staff/inbox").text
    second = other.get("/staff/inbox").text
    tokens = {csrf_from(first), csrf_from(second)}
    assert len(tokens) == 2
    for html in (first, second):
        row_tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', _row(html, case.id)))
        assert row_tokens == {csrf_from(html)}


def test_a_changed_case_or_renamed_department_shows_on_the_next_view(
    client: TestClient, desk: World, session: Session
) -> None:
    case = desk_case(session, desk)
    login(client, desk.operator)
    before = _row(client.get("/staff/inbox?status=all").text, case.id)
    assert "도로과" in before
    review.review(
        session,
        actor=desk.actor(desk.operator),
        case_id=case.id,
        relevant=True,
        complaint_type=ComplaintType.grievance,
        category_id=None,
        department_id=desk.cleaning.id,
    )
    corrected = _row(client.get("/staff/inbox?status=all").text, case.id)
    assert corrected != before and "청소행정과" in corrected
    with atomic(session):
        department = session.get(Department, desk.cleaning.id)
        assert department is not None
        department.name = "자원순환과"
    renamed = _row(client.get("/staff/inbox?status=all").text, case.id)
    assert "자원순환과" in renamed and "청소행정과" not in renamed
