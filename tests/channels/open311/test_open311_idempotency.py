"""A client that timed out POSTs the same service request again: it gets the first case, not a second one."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sotong.actors import CLI
from sotong.cases.models import Case
from sotong.channels.open311.actions import create_api_key, submit_request
from sotong.channels.open311.models import Open311ApiKey
from sotong.orgs.models import Organisation
from tests.channels.open311.test_open311_api import good_request, post
from tests.factories import World


def _cases(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Case)) or 0)


def test_the_same_idempotency_key_returns_the_first_case_and_token(
    client: TestClient, session: Session, world: World, api_key: str
) -> None:
    key = {"Idempotency-Key": "c1f6a2e0-report-0001"}
    first = client.post("/open311/v2/requests.json", data=good_request(api_key), headers=key)
    again = client.post("/open311/v2/requests.json", data=good_request(api_key), headers=key)
    as_field = post(client, good_request(api_key, idempotency_key="c1f6a2e0-report-0001"))

    assert first.status_code == again.status_code == as_field.status_code == 201
    assert again.json()[0]["service_request_id"] == first.json()[0]["service_request_id"]
    assert again.json()[0]["token"] == first.json()[0]["token"] == as_field.json()[0]["token"]
    assert _cases(session) == 1
    other = client.post("/open311/v2/requests.json", data=good_request(api_key), headers={"Idempotency-Key": "k-2"})
    assert other.json()[0]["service_request_id"] != first.json()[0]["service_request_id"]


def test_a_key_used_for_a_different_request_is_refused(
    client: TestClient, session: Session, world: World, api_key: str
) -> None:
    key = {"Idempotency-Key": "report-7"}
    assert client.post("/open311/v2/requests.json", data=good_request(api_key), headers=key).status_code == 201
    changed = good_request(api_key, description="다른 민원입니다: 가로등이 꺼졌어요")

    response = client.post("/open311/v2/requests.json", data=changed, headers=key)

    assert response.status_code == 400 and "different request" in response.json()[0]["description"]
    assert _cases(session) == 1


def test_without_a_key_the_same_clients_identical_request_within_minutes_is_a_retry(
    session: Session, world: World, api_key: str
) -> None:
    key = session.scalars(select(Open311ApiKey)).one()
    org = session.get(Organisation, world.songpa.id)
    assert org is not None
    form = {k: v for k, v in good_request(api_key).items() if k != "api_key"}
    at = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)

    first = submit_request(session, key=key, org=org, form=form, now=at)
    again = submit_request(session, key=key, org=org, form=form, now=at + dt.timedelta(minutes=3))
    assert again.case.id == first.case.id and _cases(session) == 1

    # Another client (another key), or the same request much later, is a new report.
    _, _ = create_api_key(session, actor=CLI, org_id=world.songpa.id, name="다른 앱")
    other = session.scalars(select(Open311ApiKey).order_by(Open311ApiKey.id.desc())).first()
    assert other is not None
    submit_request(session, key=other, org=org, form=form, now=at + dt.timedelta(minutes=4))
    submit_request(session, key=key, org=org, form=form, now=at + dt.timedelta(hours=2))
    assert _cases(session) == 3
