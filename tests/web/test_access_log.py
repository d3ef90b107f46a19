"""One access log line per request: request id, route, status, duration; never the query string."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from sotong.logs import JsonFormatter


def test_the_access_line_has_the_route_and_no_tracking_token(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="sotong.access"):
        response = client.get("/cases/2026-송파-000001?t=9f8e7d6c5b4a3f2e", headers={"X-Request-ID": "req-42"})
    assert response.headers["x-request-id"] == "req-42"
    (record,) = [r for r in caplog.records if r.name == "sotong.access"]
    line = json.loads(JsonFormatter().format(record))
    assert line["route"] == "/cases/{number}" and line["status"] == response.status_code
    assert line["method"] == "GET" and line["duration_ms"] >= 0
    assert "9f8e7d6c5b4a3f2e" not in json.dumps(line, ensure_ascii=False)


def test_a_request_without_an_id_gets_one(client: TestClient) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["x-request-id"]
    assert first and second and first != second and " " not in second
