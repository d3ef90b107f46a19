"""The independent PyPI client `georeport` reads our Open311 endpoint over real HTTP, in JSON and in XML,
and a spec-conformant form-encoded POST (the client has none) creates a request it can then read."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from georeport import GeoReport
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Case, CaseStatus
from tests.factories import World, case_in_status, publish
from tests.live_server import LiveServer


@pytest.fixture
def live(settings, engine) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    server = LiveServer(settings, engine)
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_reads_services_definitions_and_requests(
    live: LiveServer, session: Session, world: World, api_key: str, fmt: str
) -> None:
    answered = publish(session, world, case_in_status(session, world, CaseStatus.answered))
    client = GeoReport(f"{live.url}/open311/v2", jurisdiction="songpa", output_format=fmt)

    services = client.get_service_list()
    # xmltodict gives one element as a dict, several as a list.
    service = services[0] if isinstance(services, list) else services
    assert service["service_code"] == "road-damage"
    assert service["service_name"] == "도로 파손"

    definition = client.get_service_definition("road-damage")
    assert definition["service_code"] == "road-damage"

    # A citizen app posts a request exactly as the standard describes (form-encoded, api_key).
    created = httpx.post(
        f"{live.url}/open311/v2/requests.json",
        data={
            "api_key": api_key,
            "jurisdiction_id": "songpa",
            "service_code": "road-damage",
            "lat": "37.5133",
            "long": "127.1001",
            "description": "올림픽공원 앞 도로에 포트홀이 생겼습니다.",
        },
    )
    assert created.status_code == 201, created.text
    number = created.json()[0]["service_request_id"]
    case = session.scalar(select(Case).where(Case.number == number))
    assert case is not None
    publish(session, world, case)  # an operator released it (공개 검토)

    one = client.get_service_request(number)
    assert one["service_request_id"] == number
    assert one["status"] == "open"
    assert one["service_code"] == "road-damage"

    found = client.get_service_requests(status="closed")
    found_list = found if isinstance(found, list) else [found]
    assert [r["service_request_id"] for r in found_list] == [answered.number]
    assert found_list[0]["status"] == "closed"

    both = client.get_service_requests(service_request_id=f"{number},{answered.number}")
    both_list = both if isinstance(both, list) else [both]
    assert {r["service_request_id"] for r in both_list} == {number, answered.number}
