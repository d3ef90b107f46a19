"""공개 검토 in the console: the list shows the citizen's words beside the masked version; release, keep private,
correct and hide from the forms; the organisation's publication settings on the administration page."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.audit.models import AuditEvent
from sotong.cases.models import Case, CaseStatus
from sotong.orgs.models import Organisation
from tests.factories import World, case_in_status, new_case, publish
from tests.web.conftest import login

LAMP = "석촌호수로 가로등이 고장났어요. 제 번호는 010-1234-5678입니다"


def test_the_review_list_shows_both_versions_and_releases(client: TestClient, session: Session, world: World) -> None:
    case = new_case(session, world, text=LAMP)
    csrf = login(client, world.operator)
    page = html.unescape(client.get("/staff/review").text)
    assert case.number in page
    assert "010-1234-5678" in page  # the original, for the operator
    assert "[전화번호]" in page  # beside the masked version
    response = client.post(
        f"/staff/review/{case.number}/release",
        data={"csrf_token": csrf, "public_title": "가로등 고장", "public_text": "석촌호수로 가로등이 고장났어요."},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff/review"
    session.expire_all()
    released = session.get(Case, case.id)
    assert released is not None and released.released_at is not None
    assert released.public_title == "가로등 고장" and released.public_text == "석촌호수로 가로등이 고장났어요."
    assert client.get(f"/cases/{case.number}").status_code == 200
    assert case.number not in html.unescape(client.get("/staff/review").text)


def test_keep_private_from_the_list(client: TestClient, session: Session, world: World) -> None:
    case = new_case(session, world, text=LAMP)
    csrf = login(client, world.operator)
    client.post(f"/staff/review/{case.number}/withhold", data={"csrf_token": csrf})
    session.expire_all()
    kept = session.get(Case, case.id)
    assert kept is not None and not kept.is_public and kept.released_at is None
    assert case.number not in html.unescape(client.get("/staff/review").text)
    assert client.get(f"/cases/{case.number}").status_code == 404


def test_officers_cannot_open_the_review_list(client: TestClient, world: World) -> None:
    login(client, world.officer)
    assert client.get("/staff/review").status_code == 403


def test_the_department_corrects_and_hides_from_the_case_page(
    client: TestClient, session: Session, world: World
) -> None:
    case = publish(session, world, case_in_status(session, world, CaseStatus.closed))
    answer = case.answers[-1]
    csrf = login(client, world.officer)
    page = html.unescape(client.get(f"/staff/cases/{case.number}").text)
    assert "공개 중" in page and f'name="answer_{answer.id}"' in page
    client.post(
        f"/staff/cases/{case.number}/public/edit",
        data={
            "csrf_token": csrf,
            "public_title": "보도블럭 보수",
            "public_text": "보도블럭이 깨졌어요 (홍길동 010-5555-6666)",
            f"answer_{answer.id}": "보수했습니다. 담당 010-7777-8888",
        },
    )
    public = html.unescape(client.get(f"/cases/{case.number}").text)
    assert "보도블럭 보수" in public and "010-5555-6666" not in public and "010-7777-8888" not in public
    client.post(f"/staff/review/{case.number}/withhold", data={"csrf_token": csrf, "next": "case"})
    assert client.get(f"/cases/{case.number}").status_code == 404
    actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)))
    assert {"case.released", "case.public_edited", "case.unpublished"} <= actions


def test_the_admin_sets_automatic_release_and_signatures(client: TestClient, session: Session, world: World) -> None:
    csrf = login(client, world.admin)
    page = html.unescape(client.get("/staff/admin").text)
    assert "공개 설정" in page
    client.post("/staff/admin/publication", data={"csrf_token": csrf, "auto_release": "true"})
    session.expire_all()
    org = session.get(Organisation, world.songpa.id)
    assert org is not None and org.auto_release and not org.sign_answers
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "org.publication_set")).one()
    assert event.after == {"auto_release": True, "sign_answers": False}
