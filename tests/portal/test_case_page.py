"""The case page: masked text, timeline and deadline, the place by name, 404 alike for every hidden case; the
citizen's rating and follow-up need the token from their receipt."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases import actions, links
from sotong.cases.models import CaseStatus, ComplaintType, Message, RejectReason
from tests.factories import World
from tests.portal.helpers import answered, received, web_account
from tests.web.conftest import csrf_from


def _form_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} field"
    return match.group(1)


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def test_page_shows_masked_text_answer_department_timeline(client: TestClient, session: Session, world: World) -> None:
    case = answered(session, world, "보도블럭이 깨졌어요. 010-1234-5678로 연락주세요", "보수를 마쳤습니다. 도로과 드림")
    page = client.get(f"/cases/{case.number}")
    assert page.status_code == 200
    assert "010-1234-5678" not in page.text and "[전화번호]" in page.text
    assert "보수를 마쳤습니다" in page.text
    assert "도로과" in page.text
    assert "기한 내 처리" in page.text  # answered at once: deadline met
    for event in ("접수", "답변"):
        assert event in page.text
    assert 'name="score"' not in page.text  # no token: no rating form


def test_hidden_cases_answer_like_missing_ones(client: TestClient, session: Session, world: World) -> None:
    op = world.actor(world.operator)
    private = received(session, world, "비공개로 해 주세요. 집 앞 가로등이 고장나서 밤길이 위험합니다")
    whistle = received(session, world, "공익신고입니다. 공사장에서 폐기물을 하천에 무단 투기하고 있습니다")
    spam = received(session, world, "잠실역 앞 보도블럭이 깨져 있어요")
    actions.triage(session, actor=op, case_id=private.id, complaint_type=ComplaintType.other, is_public=False)
    actions.triage(session, actor=op, case_id=whistle.id, complaint_type=ComplaintType.other, is_whistleblower=True)
    actions.reject(session, actor=op, case_id=spam.id, reason=RejectReason.spam)
    missing = client.get("/cases/2026-송파-999999")
    assert missing.status_code == 404
    for case in (private, whistle, spam):
        response = client.get(f"/cases/{case.number}")
        assert response.status_code == 404
        assert _main(response.text) == _main(missing.text)  # nothing tells a hidden case from a missing one
    # The citizen's own link still opens their private case and their 공익신고 (to follow it and read the
    # answer), never a hidden one.
    for case, status in ((private, 200), (whistle, 200), (spam, 404)):
        assert client.get(f"/cases/{case.number}", params={"t": case.citizen_token}).status_code == status


def test_location_is_named_not_given_as_coordinates(client: TestClient, session: Session, world: World) -> None:
    case = received(session, world, "여기 가로등이 꺼졌어요", latitude=37.514573, longitude=127.105981)
    page = client.get(f"/cases/{case.number}").text
    assert not re.search(r"37\.\d{3}", page) and not re.search(r"127\.\d{3}", page)  # neither exact nor snapped
    place = re.search(r'class="case-place">([^<]+)<', page)
    assert place and place.group(1).strip() == "송파구"  # the district the pin falls in
    english = client.get(f"/cases/{case.number}?lang=en").text
    assert 'class="case-place">Songpa-gu' in english


def test_rating_with_the_link_token(client: TestClient, session: Session, world: World) -> None:
    case = answered(session, world, "가로등이 꺼졌어요", "교체했습니다")
    assert case.citizen_token
    token = links.link_token(case_number=case.number, citizen_token=case.citizen_token)
    page = client.get(f"/cases/{case.number}", params={"t": token})
    assert 'name="score"' in page.text
    response = client.post(
        f"/cases/{case.number}/rate",
        data={
            "token": _form_value(page.text, "token"),
            "score": "4",
            "comment": "빨라요",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    session.expire_all()
    session.refresh(case)
    assert case.satisfaction == 4 and case.satisfaction_comment == "빨라요"


def test_a_wrong_token_is_refused(client: TestClient, session: Session, world: World) -> None:
    case = answered(session, world, "가로등이 꺼졌어요", "교체했습니다")
    page = client.get(f"/cases/{case.number}", params={"t": "guessed-token"})
    assert page.status_code == 200 and 'name="score"' not in page.text and "확인 코드가 맞지 않습니다" in page.text
    csrf = csrf_from(client.get("/report").text)  # the session's token, from any form of the site
    rate = client.post(f"/cases/{case.number}/rate", data={"token": "guessed", "score": "1", "csrf_token": csrf})
    assert rate.status_code == 404
    follow = client.post(
        f"/cases/{case.number}/follow-up",
        data={"token": "guessed", "text": "다시 봐주세요", "submission_id": "s1", "csrf_token": csrf},
    )
    assert follow.status_code == 404
    session.expire_all()
    session.refresh(case)
    assert case.satisfaction is None and case.status == CaseStatus.answered


def test_follow_up_with_the_receipt_token_reopens(client: TestClient, session: Session, world: World) -> None:
    web_account(session, world)
    case = answered(session, world, "가로등이 꺼졌어요", "교체했습니다")
    page = client.get(f"/cases/{case.number}", params={"t": case.citizen_token})  # the raw receipt token works too
    assert 'name="text"' in page.text
    data = {
        "token": _form_value(page.text, "token"),
        "text": "아직도 꺼져 있어요",
        "submission_id": _form_value(page.text, "submission_id"),
        "csrf_token": csrf_from(page.text),
    }
    assert client.post(f"/cases/{case.number}/follow-up", data=data, follow_redirects=False).status_code == 303
    assert client.post(f"/cases/{case.number}/follow-up", data=data, follow_redirects=False).status_code == 303
    session.expire_all()
    session.refresh(case)
    assert case.status == CaseStatus.reopened
    texts = list(session.scalars(select(Message.text).where(Message.case_id == case.id)))
    assert texts.count("아직도 꺼져 있어요") == 1  # the same form twice is stored once
    assert "추가 문의" in client.get(f"/cases/{case.number}").text  # the follow-up is on the public timeline


def test_tracking_by_number(client: TestClient, session: Session, world: World) -> None:
    case = received(session, world, "가로등")
    response = client.get("/track", params={"number": f" {case.number} "}, follow_redirects=True)
    assert response.status_code == 200 and case.number in response.text
    assert client.get("/track", params={"number": "2026-송파-424242"}).status_code == 404
    # A case number typed into the search box goes to the case too.
    assert client.get("/", params={"q": case.number}, follow_redirects=True).url.path.endswith(case.number)


def test_tracking_links_carry_a_token_only_on_private_channels(session: Session, world: World) -> None:
    from sotong.outbox.models import OutboxItem

    tweet = received(session, world, "가로등 고장")
    form = received(session, world, "가로등 고장", account=web_account(session, world))
    urls = {
        item.case_id: item.payload["tracking_url"]
        for item in session.scalars(select(OutboxItem).where(OutboxItem.kind == "receipt"))
    }
    assert "?t=" not in urls[tweet.id]  # a public reply on X must not hand out the citizen's token
    assert form.citizen_token
    expected = links.link_token(case_number=form.number, citizen_token=form.citizen_token)
    assert urls[form.id].endswith(f"/cases/{form.number}?t={expected}")
