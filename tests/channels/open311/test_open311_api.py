"""Open311 GeoReport v2 over HTTP: documents valid against the standard's schemas, errors in its shape,
POST with an API key, the standard filters, and nothing private leaking."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.audit.models import AuditEvent
from sotong.cases import actions
from sotong.cases.models import Case, CaseStatus, ComplaintType, Message
from sotong.channels.open311.actions import revoke_api_key
from sotong.channels.open311.models import Open311ApiKey
from sotong.orgs.models import Channel
from tests.factories import World, case_in_status, new_case, publish

V2 = "/open311/v2"
SONGPA = {"jurisdiction_id": "songpa"}
Validate = Callable[[str, Any], None]


def released(session: Session, world: World, number: str) -> Case:
    """The request's case, released by an operator (공개 검토): GET /requests shows nothing before."""
    case = session.scalar(select(Case).where(Case.number == number))
    assert case is not None
    return publish(session, world, case)


def post(client: TestClient, data: dict[str, str], fmt: str = "json") -> Any:
    return client.post(f"{V2}/requests.{fmt}", data=data)


def good_request(api_key: str, **extra: str) -> dict[str, str]:
    return {
        "api_key": api_key,
        "jurisdiction_id": "songpa",
        "service_code": "road-damage",
        "lat": "37.5112345",
        "long": "127.0987654",
        "description": "잠실역 4번 출구 앞 보도블럭이 깨져 있습니다. 제 번호는 010-1234-5678 입니다.",
        "email": "citizen@example.com",
        "first_name": "민수",
        "last_name": "김",
        **extra,
    }


def test_discovery_in_json_and_xml(client: TestClient) -> None:
    doc = client.get("/open311/discovery.json").json()
    endpoint = doc["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = ET.fromstring(client.get("/open311/discovery.xml").content)
    assert root.tag == "discovery"
    assert [f.text for f in root.iter("format")] == ["text/xml", "application/json"]


def test_services_are_the_categories_and_match_the_schema(client: TestClient, world: World, validate: Validate) -> None:
    response = client.get(f"{V2}/services.json", params=SONGPA)
    assert response.status_code == 200
    services = response.json()
    validate("services.json", services)
    assert services == [
        {
            "service_code": "road-damage",
            "service_name": "도로 파손",
            "description": "도로 파손",
            "metadata": False,
            "type": "realtime",
            "keywords": None,
            "group": "도로과",
        }
    ]
    root = ET.fromstring(client.get(f"{V2}/services.xml", params=SONGPA).content)
    assert root.tag == "services"
    assert root.find("service/service_code").text == "road-damage"  # type: ignore[union-attr]
    assert root.find("service/metadata").text == "false"  # type: ignore[union-attr]


def test_service_definition_matches_the_schema(client: TestClient, world: World, validate: Validate) -> None:
    definition = client.get(f"{V2}/services/road-damage.json", params=SONGPA).json()
    validate("service-definition.json", definition)
    assert definition == {"service_code": "road-damage", "attributes": []}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_have_the_standard_shape(client: TestClient, world: World, fmt: str) -> None:
    response = client.get(f"{V2}/services/no-such-service.{fmt}", params=SONGPA)
    assert response.status_code == 404
    if fmt == "json":
        assert response.json() == [{"code": 404, "description": "unknown service_code 'no-such-service'"}]
    else:
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        assert root.find("error/code").text == "404"  # type: ignore[union-attr]
        assert "no-such-service" in root.find("error/description").text  # type: ignore[union-attr,operator]


def test_jurisdiction_is_required_when_there_are_several(client: TestClient, world: World) -> None:
    response = client.get(f"{V2}/services.json")
    assert response.status_code == 400
    assert "jurisdiction_id" in response.json()[0]["description"]
    assert client.get(f"{V2}/services.json", params={"jurisdiction_id": "busan"}).status_code == 404


def test_unknown_format_is_refused(client: TestClient, world: World) -> None:
    response = client.get(f"{V2}/services.csv", params=SONGPA)
    assert response.status_code == 400
    assert "json or xml" in response.json()[0]["description"]


def test_post_creates_a_case_with_a_token(
    client: TestClient, session: Session, world: World, api_key: str, validate: Validate
) -> None:
    response = post(client, good_request(api_key))
    assert response.status_code == 201, response.text
    body = response.json()
    assert len(body) == 1
    number, token = body[0]["service_request_id"], body[0]["token"]
    assert number.startswith(f"{dt.date.today().year}-송파-")
    case = session.scalar(select(Case).where(Case.number == number))
    assert case is not None
    assert case.channel is Channel.open311
    assert case.contact == {"email": "citizen@example.com"}
    assert case.latitude == pytest.approx(37.5112345)
    message = session.scalar(select(Message).where(Message.case_id == case.id))
    assert message is not None and message.raw["service_code"] == "road-damage"
    assert message.author_name == "김 민수"

    # The token finds the request.
    tokens = client.get(f"{V2}/tokens/{token}.json", params=SONGPA).json()
    assert tokens == [{"service_request_id": number, "token": token}]
    assert client.get(f"{V2}/tokens/not-a-token.json", params=SONGPA).status_code == 404

    # Not before an operator released it; then it reads back as a valid, masked, coarsened request.
    assert client.get(f"{V2}/requests/{number}.json", params=SONGPA).status_code == 404
    released(session, world, number)
    found = client.get(f"{V2}/requests/{number}.json", params=SONGPA).json()
    validate("requests.json", found)
    request = found[0]
    assert request["status"] == "open"
    assert request["service_code"] == "road-damage"
    assert "010-1234-5678" not in json.dumps(found, ensure_ascii=False)
    assert "[전화번호]" in request["description"]
    assert request["lat"] != pytest.approx(37.5112345, abs=1e-6)
    assert abs(request["lat"] - 37.5112345) < 0.0005
    key = session.scalar(select(Open311ApiKey))
    assert key is not None and key.last_used_at is not None


def test_public_coordinates_sit_on_the_50m_grid(
    client: TestClient, session: Session, world: World, api_key: str
) -> None:
    number = post(client, good_request(api_key)).json()[0]["service_request_id"]
    released(session, world, number)
    request = client.get(f"{V2}/requests/{number}.json", params=SONGPA).json()[0]
    for value in (request["lat"], request["long"]):
        steps = value / 0.0005
        assert steps == pytest.approx(round(steps), abs=1e-6)


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"api_key": ""}, 403, "api_key is required"),
        ({"api_key": "o311_wrong"}, 403, "not valid"),
        ({"service_code": ""}, 400, "service_code is required"),
        ({"service_code": "nope"}, 404, "unknown service_code"),
        ({"lat": "", "long": ""}, 400, "a location is required"),
        ({"lat": "north"}, 400, "lat must be a number"),
        ({"lat": "137.0"}, 400, "lat must be between"),
        ({"long": ""}, 400, "together"),
        ({"description": "가" * 4001}, 400, "longer than 4000"),
        ({"jurisdiction_id": "seoul"}, 403, "not valid for this jurisdiction"),
        # Answers are mailed to it: a second header line must not ride in (issue 22, finding 9).
        ({"email": "minji@example.com\r\nBcc: everyone@example.com"}, 400, "one e-mail address"),
        ({"email": "minji@example.com, x@example.com"}, 400, "one e-mail address"),
    ],
)
def test_bad_posts_are_refused_with_a_reason_and_store_nothing(
    client: TestClient, session: Session, world: World, api_key: str, change: dict[str, str], status: int, words: str
) -> None:
    response = post(client, {**good_request(api_key), **change})
    assert response.status_code == status, response.text
    assert words in response.json()[0]["description"]
    assert session.scalar(select(func.count()).select_from(Message)) == 0


def test_a_revoked_key_no_longer_works(client: TestClient, session: Session, world: World, api_key: str) -> None:
    key = session.scalar(select(Open311ApiKey))
    assert key is not None
    revoke_api_key(session, actor=CLI, org_id=world.songpa.id, key_id=key.id)
    assert post(client, good_request(api_key)).status_code == 403
    actions_logged = set(session.scalars(select(AuditEvent.action)))
    assert {"open311.key_created", "open311.key_revoked"} <= actions_logged


def test_address_alone_is_a_location_and_xml_post_works(client: TestClient, world: World, api_key: str) -> None:
    data = good_request(api_key, lat="", long="", address_string="서울 송파구 올림픽로 300")
    response = post(client, data, fmt="xml")
    assert response.status_code == 201
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text  # type: ignore[union-attr]
    assert root.find("request/token").text  # type: ignore[union-attr]


def test_requests_list_filters(client: TestClient, session: Session, world: World, validate: Validate) -> None:
    open_case = publish(session, world, case_in_status(session, world, CaseStatus.triaged))
    closed_case = publish(session, world, case_in_status(session, world, CaseStatus.closed))
    case_in_status(session, world, CaseStatus.triaged)  # waiting for review: never listed
    all_found = client.get(f"{V2}/requests.json", params=SONGPA).json()
    validate("requests.json", all_found)
    assert {r["service_request_id"] for r in all_found} == {open_case.number, closed_case.number}
    closed = client.get(f"{V2}/requests.json", params={**SONGPA, "status": "closed"}).json()
    assert [r["service_request_id"] for r in closed] == [closed_case.number]
    assert closed[0]["status_notes"] == "보수를 완료했습니다."
    opened = client.get(f"{V2}/requests.json", params={**SONGPA, "status": "open"}).json()
    assert [r["service_request_id"] for r in opened] == [open_case.number]
    by_id = client.get(f"{V2}/requests.json", params={**SONGPA, "service_request_id": open_case.number}).json()
    assert [r["service_request_id"] for r in by_id] == [open_case.number]
    by_code = client.get(f"{V2}/requests.json", params={**SONGPA, "service_code": "other-code"}).json()
    assert by_code == []
    by_code = client.get(f"{V2}/requests.json", params={**SONGPA, "service_code": "road-damage"}).json()
    assert len(by_code) == 2
    old = client.get(
        f"{V2}/requests.json",
        params={**SONGPA, "start_date": "2020-01-01T00:00:00Z", "end_date": "2020-02-01T00:00:00Z"},
    ).json()
    assert old == []


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90 days"),
        ({"start_date": "yesterday"}, "start_date must be a W3C datetime"),
        ({"status": "pending"}, "status must be open or closed"),
        ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "before start_date"),
    ],
)
def test_bad_filters_are_400(client: TestClient, world: World, params: dict[str, str], words: str) -> None:
    response = client.get(f"{V2}/requests.json", params={**SONGPA, **params})
    assert response.status_code == 400
    assert words in response.json()[0]["description"]


def test_private_cases_never_appear(client: TestClient, session: Session, world: World) -> None:
    op = world.actor(world.operator)
    secret = publish(
        session, world, new_case(session, world, text="공익신고: 김철수 과장이 뇌물을 받았습니다. 연락처 010-9999-8888")
    )
    actions.triage(session, actor=op, case_id=secret.id, complaint_type=ComplaintType.grievance, is_whistleblower=True)
    private = publish(session, world, new_case(session, world, text="비공개로 해 주세요. 불법 주차 신고합니다."))
    actions.triage(session, actor=op, case_id=private.id, complaint_type=ComplaintType.other, is_public=False)
    hidden = case_in_status(session, world, CaseStatus.rejected)
    waiting = new_case(session, world, text="공원 화장실이 고장났어요. 제 번호 010-4444-5555")
    visible = publish(
        session,
        world,
        new_case(session, world, text="가로등이 꺼져 있어요. 제 번호 010-2222-3333, 이메일 me@example.com"),
    )
    found = client.get(f"{V2}/requests.json", params=SONGPA)
    text = found.text
    assert [r["service_request_id"] for r in found.json()] == [visible.number]
    for leaked in ("010-9999-8888", "김철수", "010-2222-3333", "me@example.com"):
        assert leaked not in text
    for number in (secret.number, private.number, hidden.number, waiting.number):
        response = client.get(f"{V2}/requests/{number}.json", params=SONGPA)
        assert response.status_code == 404
    xml = client.get(f"{V2}/requests.xml", params=SONGPA).text
    assert "010-2222-3333" not in xml and "me@example.com" not in xml


def test_another_organisations_request_is_not_found_in_this_jurisdiction(
    client: TestClient, session: Session, world: World
) -> None:
    case = publish(session, world, new_case(session, world))
    assert client.get(f"{V2}/requests/{case.number}.json", params={"jurisdiction_id": "seoul"}).status_code == 404
    assert client.get(f"{V2}/requests/{case.number}.json", params=SONGPA).status_code == 200


def test_receipts_of_open311_requests_are_delivered_not_failed(
    client: TestClient, session: Session, world: World, api_key: str
) -> None:
    from sotong.db import session_factory
    from sotong.outbox.delivery import run_once
    from sotong.outbox.models import OutboxItem, OutboxStatus

    post(client, good_request(api_key))
    assert session.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.transport == "open311")) == 1
    run_once(session_factory(session.get_bind()), worker_id="test")  # type: ignore[arg-type]
    session.expire_all()
    statuses = set(session.scalars(select(OutboxItem.status).where(OutboxItem.transport == "open311")))
    assert statuses == {OutboxStatus.sent}
