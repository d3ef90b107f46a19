"""The console: the template admin page, the answer form's render/preview/send endpoints, and their refusals."""

from __future__ import annotations

import html
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.answers.models import AnswerTemplate
from sotong.cases.models import Answer, Case, CaseStatus
from tests.factories import World
from tests.web.conftest import app, client, login  # noqa: F401 - the web app fixtures

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
ADMIN = "/staff/admin/answer-templates"


def _status(session: Session, case: Case) -> CaseStatus:
    session.expire_all()
    found = session.get(Case, case.id)
    assert found is not None
    return found.status


def test_viewer_reads_templates_but_cannot_create(
    client: TestClient,  # noqa: F811
    world: World,
    session: Session,
    template: AnswerTemplate,
) -> None:
    token = login(client, world.viewer)
    page = client.get(ADMIN)
    assert page.status_code == 200 and template.title in page.text
    assert 'action="/staff/admin/answer-templates"' not in page.text  # no form for a viewer
    refused = client.post(ADMIN, data={"csrf_token": token, "title": "몰래", "body": "본문"})
    assert refused.status_code == 403
    refused = client.post(f"{ADMIN}/{template.id}/deactivate", data={"csrf_token": token})
    assert refused.status_code == 403
    assert session.scalars(select(AnswerTemplate.title)).all() == [template.title]


def test_manager_creates_a_template_and_a_typo_is_named(
    client: TestClient,  # noqa: F811
    world: World,
    session: Session,
) -> None:
    token = login(client, world.manager)
    form = {
        "csrf_token": token,
        "title": "가로등 수리",
        "body": "{citizen} 님, {departmnet}입니다. 조치: [[조치 내용]]",
        "required_elements": "조치 내용\n",
        "is_active": "true",
    }
    refused = client.post(ADMIN, data=form)
    assert refused.status_code == 422
    assert "{departmnet}" in html.unescape(refused.text) and "가로등 수리" in refused.text  # what was typed is kept
    form["body"] = "{citizen} 님, {department}입니다. 조치: [[조치 내용]]"
    created = client.post(ADMIN, data=form, follow_redirects=False)
    assert created.status_code == 303
    template = session.scalars(select(AnswerTemplate)).one()
    assert template.required_elements == ["조치 내용"] and template.is_active
    assert created.headers["location"] == f"{ADMIN}/{template.id}"


def test_render_fills_the_template_for_the_case(
    client: TestClient,  # noqa: F811
    world: World,
    template: AnswerTemplate,
    case: Case,
) -> None:
    login(client, world.officer)
    data = client.get(f"/staff/cases/{case.number}/answer/render", params={"template_id": template.id}).json()
    assert data["body"].startswith(f"@citizen_kim 님, 도로과입니다. 접수번호 {case.number}")
    assert "choi.officer 드림" in data["body"]
    assert data["slots"] == ["조치 내용", "조치 일시", "담당자 연락처"]

    other = TestClient(client.app)
    login(other, world.cleaning_officer)
    response = other.get(f"/staff/cases/{case.number}/answer/render", params={"template_id": template.id})
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_case_page_offers_the_category_template_first_and_fills_it_without_js(
    client: TestClient,  # noqa: F811
    world: World,
    session: Session,
    template: AnswerTemplate,
    case: Case,
) -> None:
    from sotong.actors import Actor
    from sotong.cases.answers import actions

    actions.create_template(
        session, actor=Actor.for_user(world.admin), org_id=world.songpa.id, title="가 일반 안내", body="안내드립니다."
    )
    login(client, world.officer)
    page = client.get(f"/staff/cases/{case.number}").text
    assert page.index(f"★ {template.title}") < page.index("가 일반 안내")
    filled = client.get(f"/staff/cases/{case.number}", params={"answer_template": template.id}).text
    assert f"접수번호 {case.number} 민원에 답변드립니다." in filled
    assert f'name="template_id" value="{template.id}"' in filled


def test_preview_endpoint_shows_the_reply_and_the_masked_public_answer(
    client: TestClient,  # noqa: F811
    world: World,
    template: AnswerTemplate,
    case: Case,
) -> None:
    token = login(client, world.officer)
    body = "보수 완료. 문의는 담당자 010-2222-3333 으로. " + "가" * 120
    response = client.post(
        f"/staff/cases/{case.number}/answer/preview",
        json={"body": body, "template_id": template.id},
        headers={"X-CSRF-Token": token},
    )
    data = response.json()
    assert response.status_code == 200
    assert data["channel"]["transport"] == "x" and data["channel"]["shortened"] is True
    assert data["channel"]["length"] <= 280 and data["channel"]["text"].endswith(f"/cases/{quote(case.number)}")
    assert "010-2222-3333" not in data["public"] and "[전화번호]" in data["public"]
    # Sent from the template, the answer must still carry its labelled required lines.
    assert data["missing"] == ["조치 내용", "조치 일시", "담당자 연락처"]

    unfilled = client.post(
        f"/staff/cases/{case.number}/answer/preview",
        json={"body": "조치 일시: [[조치 일시]]"},
        headers={"X-CSRF-Token": token},
    ).json()
    assert unfilled["missing"] == ["조치 일시"] and "조치 일시" in unfilled["missing_message"]

    no_token = client.post(f"/staff/cases/{case.number}/answer/preview", json={"body": "x"})
    assert no_token.status_code == 403


def test_send_with_a_photo_then_the_staff_page_shows_it(
    client: TestClient,  # noqa: F811
    world: World,
    session: Session,
    case: Case,
) -> None:
    token = login(client, world.officer)
    response = client.post(
        f"/staff/cases/{case.number}/answer/send",
        data={"csrf_token": token, "body": "보도블럭 12장을 교체했습니다.", "public_body": ""},
        files=[("photos", ("after.jpg", JPEG, "image/jpeg"))],
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert _status(session, case) is CaseStatus.answered
    answer = session.scalars(select(Answer).where(Answer.case_id == case.id)).one()
    [photo] = answer.attachments
    page = client.get(f"/staff/cases/{case.number}").text
    assert f'src="/staff/media/{photo.id}"' in page
    served = client.get(f"/staff/media/{photo.id}")
    assert served.content == JPEG and served.headers["content-type"] == "image/jpeg"


def test_unfilled_slot_is_refused_and_the_text_is_kept(
    client: TestClient,  # noqa: F811
    world: World,
    session: Session,
    template: AnswerTemplate,
    case: Case,
) -> None:
    token = login(client, world.officer)
    body = "- 조치 내용: 보도블럭 교체\n- 조치 일시: [[조치 일시]]"
    for path in ("answer/send", "answer"):  # the console's generic action path goes through the same check
        page = client.post(
            f"/staff/cases/{case.number}/{path}",
            data={"csrf_token": token, "body": body, "template_id": str(template.id)},
        )
        assert page.status_code == 422
        assert "필수 항목을 채워 주세요: 조치 일시, 담당자 연락처" in page.text
        assert "보도블럭 교체" in page.text  # the officer's text is back in the form
    assert _status(session, case) is CaseStatus.in_progress


def test_officer_of_another_department_cannot_send(
    client: TestClient,  # noqa: F811
    world: World,
    session: Session,
    case: Case,
) -> None:
    token = login(client, world.cleaning_officer)
    response = client.post(
        f"/staff/cases/{case.number}/answer/send", data={"csrf_token": token, "body": "제가 답합니다"}
    )
    assert response.status_code == 404
    assert _status(session, case) is CaseStatus.in_progress
