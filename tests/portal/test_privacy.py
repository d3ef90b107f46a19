"""Cases salted with every kind of personal data: none of it reaches a public page or JSON response, and
non-public and 공익신고 cases are neither listed nor searchable."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import ComplaintType
from sotong.portal import actions as portal_actions
from sotong.portal.service import Cursor
from tests.factories import World
from tests.portal.helpers import answered, received

# (what the citizen or the officer wrote, the secret part that must never be public)
SALT = [
    ("홍길동님이 신고합니다", "홍길동"),
    ("옆집 김철수씨가 쓰레기를 버려요", "김철수"),
    ("연락처 010-9876-5432", "9876-5432"),
    ("집 전화 02-3412-7788", "3412-7788"),
    ("주민번호 900101-1234568", "1234568"),
    ("메일 citizen.park@example.com 으로", "citizen.park@example.com"),
    ("송파구 올림픽로 300 101동 1203호 앞", "1203호"),
    ("차량 12가3456 불법주차", "12가3456"),
    ("환불 계좌 국민은행 123456-01-234567", "123456-01-234567"),
    ("카드 4111-1111-1111-1111 결제", "4111-1111-1111-1111"),
]
COMPLAINT = "가로등 고장 신고. " + " ".join(text for text, _ in SALT)
ANSWER = "주무관 이영희입니다. 가로등을 교체했습니다. 문의 010-2222-3333 " + " ".join(t for t, _ in SALT[4:])
SECRETS = [secret for _, secret in SALT] + ["이영희", "2222-3333"]


def _assert_clean(text: str, where: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"{where} shows {leaked}"


def test_no_personal_data_on_any_public_response(client: TestClient, session: Session, world: World) -> None:
    case = answered(session, world, COMPLAINT, ANSWER)
    portal_actions.set_showcase(session, actor=world.actor(world.operator), case_id=case.id, on=True, note="친절")
    responses = {
        "list": client.get("/"),
        "search": client.get("/", params={"q": "가로등"}),
        "case page": client.get(f"/cases/{case.number}"),
        "case page with token": client.get(f"/cases/{case.number}", params={"t": case.citizen_token}),
        "best": client.get("/best"),
        "live json": client.get("/portal/latest.json", params={"since": "0.0"}),
    }
    for where, response in responses.items():
        assert response.status_code == 200, where
        assert case.number in response.text, f"{where} should show the case"
        _assert_clean(response.text, where)
    # Searching for the personal data itself finds nothing: only masked text is indexed.
    for secret in ("홍길동", "김철수", "01098765432", "citizen.park@example.com", "12가3456"):
        assert case.number not in client.get("/", params={"q": secret}).text, secret


def test_private_and_whistleblower_cases_never_listed_or_found(
    client: TestClient, session: Session, world: World
) -> None:
    op = world.actor(world.operator)
    private = received(session, world, "비공개 가로등 민원", minutes_ago=1)
    whistle = received(session, world, "공익신고 가로등 민원", minutes_ago=1)
    actions.triage(session, actor=op, case_id=private.id, complaint_type=ComplaintType.other, is_public=False)
    actions.triage(session, actor=op, case_id=whistle.id, complaint_type=ComplaintType.other, is_whistleblower=True)
    since = Cursor.decode("0.0")
    assert since is not None
    for response in (
        client.get("/"),
        client.get("/", params={"q": "가로등"}),
        client.get("/best"),
        client.get("/portal/latest.json", params={"since": "0.0"}),
    ):
        assert private.number not in response.text and whistle.number not in response.text
        assert "공익신고 가로등" not in response.text and "비공개 가로등" not in response.text
