"""JSON API for deliveries: what waits for staff, a case's deliveries, send again, settle by hand."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import CaseStatus
from sotong.db import atomic
from sotong.outbox.models import OutboxItem, OutboxStatus
from tests.factories import World, case_in_status
from tests.web.conftest import login


def _failed_receipt(session: Session, world: World) -> tuple[str, int]:
    case = case_in_status(session, world, CaseStatus.assigned)
    with atomic(session):
        item = session.scalars(
            select(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.kind == "receipt")
        ).one()
        item.status, item.error_code, item.last_error = OutboxStatus.unknown, "interrupted", "sms: outcome unknown"
    return case.number, item.id


def test_the_centre_lists_what_waits_and_settles_it(client: TestClient, world: World, session: Session) -> None:
    number, item_id = _failed_receipt(session, world)
    token = login(client, world.operator)
    listed = client.get("/api/v1/deliveries").json()["items"]
    assert [(d["id"], d["case_number"], d["state"], d["reason_code"]) for d in listed] == [
        (item_id, number, "unknown", "interrupted")
    ]
    assert listed[0]["reason"] == "보내는 도중 작업 프로세스가 멈춰 도착했는지 알 수 없습니다"
    assert listed[0]["detail"] == "sms: outcome unknown"

    headers = {"X-CSRF-Token": token}
    refused = client.post(
        f"/api/v1/cases/{number}/deliveries/{item_id}/resolve", json={"how": "pigeon"}, headers=headers
    )
    assert refused.status_code == 422
    settled = client.post(
        f"/api/v1/cases/{number}/deliveries/{item_id}/resolve", json={"how": "arrived", "note": "확인"}, headers=headers
    )
    assert settled.status_code == 200 and (settled.json()["state"], settled.json()["resolution"]) == (
        "resolved",
        "arrived",
    )
    assert client.get("/api/v1/deliveries").json()["items"] == []
    again = client.post(f"/api/v1/cases/{number}/deliveries/{item_id}/retry", headers=headers)
    assert again.status_code == 409  # settled: nothing to send again


def test_an_officer_reads_the_case_and_sends_again_but_not_the_centres_list(
    client: TestClient, world: World, session: Session
) -> None:
    number, item_id = _failed_receipt(session, world)
    token = login(client, world.officer)
    assert client.get("/api/v1/deliveries").status_code == 403
    states = [(d["kind"], d["state"]) for d in client.get(f"/api/v1/cases/{number}/deliveries").json()["items"]]
    assert ("receipt", "unknown") in states
    retried = client.post(f"/api/v1/cases/{number}/deliveries/{item_id}/retry", headers={"X-CSRF-Token": token})
    assert retried.status_code == 200 and retried.json()["state"] == "pending"
