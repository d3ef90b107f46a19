"""The web form: receipt with case number, reply route kept, CAPTCHA-free spam defence and the address limit."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from sotong.app import create_app
from sotong.cases.models import Case
from sotong.channels.webform.models import WebformSubmission
from sotong.settings import Settings
from tests.channels.webform_support import form_data
from tests.factories import World

CASE_NUMBER = re.compile(r'class="case-number">([^<]+)<')


@pytest.fixture
def client_from(settings: Settings, engine: Engine) -> Iterator[Callable[[str], TestClient]]:
    """A browser at a given address (the limit counts per address)."""
    opened: list[TestClient] = []

    def make(ip: str) -> TestClient:
        c = TestClient(create_app(settings=settings, engine=engine), client=(ip, 50000))
        opened.append(c.__enter__())
        return c

    yield make
    for c in opened:
        c.__exit__(None, None, None)


def _cases(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Case)) or 0


def test_receipt_shows_the_case_number_and_keeps_the_reply_route(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    data = form_data(client, settings, phone="010-2222-3333", email="citizen@example.org", category="road-damage")
    response = client.post("/report", data=data)
    assert response.status_code == 200, response.text
    number = CASE_NUMBER.search(response.text)
    assert number
    case = session.scalar(select(Case).where(Case.number == number.group(1)))
    assert case is not None
    assert case.contact == {"phone": "010-2222-3333", "email": "citizen@example.org"}
    assert case.address == "서울 송파구 잠실동"
    tracking = client.get(f"/cases/{case.number}").text
    assert "010-2222-3333" not in tracking and "citizen@example.org" not in tracking
    again = client.post("/report", data=data)  # a double click: the same form, recognised
    assert again.status_code == 409
    assert case.number in again.text
    assert _cases(session) == 1


def test_honeypot_refuses_and_counts_against_the_address(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    response = client.post("/report", data=form_data(client, settings, website="http://cheap.example"))
    assert response.status_code == 422
    assert "신청을 처리할 수 없습니다" in response.text
    assert _cases(session) == 0
    assert session.scalar(select(WebformSubmission.outcome)) == "spam"


def test_a_form_sent_faster_than_a_person_can_write_is_refused_with_the_text_kept(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    data = form_data(client, settings, seconds_ago=0.5, text="방금 쓴 민원 내용")
    response = client.post("/report", data=data)
    assert response.status_code == 422
    assert "너무 빨리 제출되었습니다" in response.text
    assert "방금 쓴 민원 내용" in response.text  # nothing lost
    assert "서울 송파구 잠실동" in response.text
    assert _cases(session) == 0


def test_a_missing_or_forged_form_token_is_refused(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    for token in ("", "eyJ0IjoxfQ.forged.signature"):
        response = client.post("/report", data=form_data(client, settings, form_token=token))
        assert response.status_code == 422
        assert "너무 오래 열려 있었습니다" in response.text
    assert _cases(session) == 0


def test_link_spam_and_repeated_text_are_refused(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    links = "싸게 팝니다 http://a.example http://b.example www.c.example"
    response = client.post("/report", data=form_data(client, settings, text=links))
    assert response.status_code == 422
    assert "링크" in response.text
    first = client.post("/report", data=form_data(client, settings, text="가로등이  꺼져 있어요"))
    assert first.status_code == 200, first.text
    repeat = client.post("/report", data=form_data(client, settings, text="가로등이 꺼져 있어요 "))
    assert repeat.status_code == 422
    assert "같은 내용이 이미 접수되었습니다" in repeat.text
    assert _cases(session) == 1


def test_each_address_has_its_limit_shared_by_every_worker(
    client_from: Callable[[str], TestClient], world: World, session: Session, settings: Settings
) -> None:
    settings.webform_max_per_window = 2
    # Two app instances (two web workers) for the same citizen: the count lives in the database.
    first, second = client_from("203.0.113.7"), client_from("203.0.113.7")
    assert first.post("/report", data=form_data(first, settings)).status_code == 200
    assert second.post("/report", data=form_data(second, settings)).status_code == 200
    refused = first.post("/report", data=form_data(first, settings, text="세 번째 민원"))
    assert refused.status_code == 429
    assert "60분 동안 2건까지" in refused.text
    assert "세 번째 민원" in refused.text
    other = client_from("198.51.100.9")
    assert other.post("/report", data=form_data(other, settings)).status_code == 200
    assert _cases(session) == 3
    # Only a keyed hash of the address is stored.
    stored = set(session.scalars(select(WebformSubmission.address_hash)))
    assert len(stored) == 2 and not any("203.0.113.7" in h for h in stored)


def test_bad_contact_and_coordinates_are_explained_in_korean_and_english(
    client: TestClient, world: World, session: Session, settings: Settings
) -> None:
    response = client.post("/report", data=form_data(client, settings, phone="call me"))
    assert response.status_code == 422
    assert "휴대전화 번호 형식이 올바르지 않습니다" in response.text
    response = client.post("/report", data=form_data(client, settings, latitude="37.5"))
    assert "위도와 경도를 함께" in response.text
    client.get("/report?lang=en")
    response = client.post("/report", data=form_data(client, settings, email="nope"))
    assert "The e-mail address does not look right" in response.text
    assert _cases(session) == 0


def test_without_csrf_nothing_is_taken(client: TestClient, world: World, session: Session, settings: Settings) -> None:
    data = form_data(client, settings)
    data.pop("csrf_token")
    assert client.post("/report", data=data).status_code == 403
    assert _cases(session) == 0


def test_a_limited_address_costs_no_photo_decoding(
    client: TestClient, world: World, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sotong.portal import report as views

    settings.webform_max_per_window = 1
    assert client.post("/report", data=form_data(client, settings)).status_code == 200
    decoded: list[int] = []
    real = views.process_photos
    monkeypatch.setattr(views, "process_photos", lambda files, **kw: decoded.append(len(files)) or real(files, **kw))
    photo = ("photos", ("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"))
    refused = client.post("/report", data=form_data(client, settings), files=[photo])
    assert refused.status_code == 429
    assert decoded == []
    assert _cases(session) == 1
