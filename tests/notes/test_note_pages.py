"""Notes on the case page: written through the form, shown to staff, refused to viewers, never on the portal."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases.models import CaseStatus
from tests.factories import World, case_in_status
from tests.web.conftest import login


def test_officer_adds_a_note_and_sees_it_on_the_case_page(client: TestClient, session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    token = login(client, world.officer)
    response = client.post(
        f"/staff/notes/{case.number}",
        data={"body": f"@{world.officer2.username} 사진 확인 바랍니다", "csrf_token": token},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "사진 확인 바랍니다" in response.text
    assert world.officer2.display_name in response.text  # shown as notified

    portal = client.get(f"/cases/{case.number}")
    assert "사진 확인 바랍니다" not in portal.text


def test_viewer_gets_403_and_no_form(client: TestClient, session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    token = login(client, world.viewer)
    page = client.get(f"/staff/cases/{case.number}")
    assert page.status_code == 200 and 'action="/staff/notes/' not in page.text
    response = client.post(
        f"/staff/notes/{case.number}", data={"body": "몰래 메모", "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 403


def test_officer_of_another_department_gets_404(client: TestClient, session: Session, world: World) -> None:
    case = case_in_status(session, world, CaseStatus.assigned)
    token = login(client, world.cleaning_officer)
    response = client.post(
        f"/staff/notes/{case.number}", data={"body": "남의 부서", "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 404
