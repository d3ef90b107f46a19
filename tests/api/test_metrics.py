"""GET /metrics: the named series, in Prometheus text format, to a scraper with the token or on the inside only."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sotong.app import create_app
from sotong.cases.models import CaseStatus
from sotong.db import utcnow
from sotong.runtime import actions as runtime_actions
from sotong.settings import Settings
from tests.factories import World, case_in_status, new_case

SERIES = {
    "sotong_http_requests",  # the parser drops the counter's _total
    "sotong_http_request_duration_seconds",
    "sotong_outbox_open",
    "sotong_outbox_due",
    "sotong_outbox_failed",
    "sotong_outbox_retrying",
    "sotong_deliveries_last_hour",
    "sotong_inbound_events_waiting",
    "sotong_cases_awaiting_triage",
    "sotong_worker_heartbeat_age_seconds",
    "sotong_worker_last_pass_seconds",
    "sotong_paused",
    "sotong_triage_seconds_last_hour",
}


def _samples(body: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found.setdefault(family.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_an_internal_scraper_gets_every_named_series(
    settings: Settings, engine: Engine, session: Session, world: World
) -> None:
    new_case(session, world)  # received, receipt queued
    case_in_status(session, world, CaseStatus.triaged)
    now = utcnow()
    runtime_actions.beat(
        session,
        worker_id="w1",
        version="0.2.0",
        started_at=now,
        last_pass_seconds=0.4,
        now=now - dt.timedelta(seconds=3),
    )
    with TestClient(create_app(settings=settings, engine=engine), client=("127.0.0.1", 40000)) as scraper:
        scraper.get("/")
        response = scraper.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    declared = {
        line.split()[2].removesuffix("_total") for line in response.text.splitlines() if line.startswith("# TYPE")
    }
    assert declared >= SERIES, SERIES - declared
    assert samples["sotong_cases_awaiting_triage"][()] == 1
    assert sum(samples["sotong_outbox_open"].values()) >= 2  # the two receipts
    (age,) = samples["sotong_worker_heartbeat_age_seconds"].values()
    assert 3 <= age < 60
    assert samples["sotong_triage_seconds_last_hour"][(("stat", "count"),)] == 1
    assert any(dict(labels).get("route") == "/" for labels in samples["sotong_http_requests"])


def test_outside_addresses_need_the_token(settings: Settings, engine: Engine, world: World) -> None:
    with TestClient(create_app(settings=settings, engine=engine), client=("203.0.113.9", 40000)) as outsider:
        assert outsider.get("/metrics").status_code == 403
    guarded = settings.model_copy(update={"metrics_token": "m3tr1cs-t0ken-for-prometheus"})
    with TestClient(create_app(settings=guarded, engine=engine), client=("127.0.0.1", 40000)) as scraper:
        assert scraper.get("/metrics").status_code == 401
        assert scraper.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = scraper.get("/metrics", headers={"Authorization": "Bearer m3tr1cs-t0ken-for-prometheus"})
        assert ok.status_code == 200 and "sotong_outbox_due" in ok.text
