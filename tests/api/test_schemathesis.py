"""Schemathesis against the JSON API and Open311 (one OpenAPI document, /api/v1/openapi.json) (issue 22):
generated requests, valid and invalid, as a staff member and anonymously; none may get a server error.

On PostgreSQL only, the stricter of the two (NUL characters, 64-bit overflows: the 500s schemathesis found were
PostgreSQL's; SQLite's share of them is covered by tests/web/test_hostile_input.py on both). Bounded (examples
per operation) so that it adds well under two minutes to `make test`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi

from sotong.app import SESSION_COOKIE, create_app
from sotong.cases.models import CaseStatus
from sotong.db import make_engine, session_factory
from sotong.settings import get_settings, reset_settings_cache
from tests.factories import World, build_world, case_in_status
from tests.web.conftest import login

EXAMPLES = 2  # per operation and mode: 23 operations x 2 modes x 2 examples


def _operations(app: FastAPI) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.fixture
def pg_app(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FastAPI, World]]:
    monkeypatch.setenv("SOTONG_DATABASE_URL", pg_url)
    reset_settings_cache()
    engine = make_engine(pg_url)
    with session_factory(engine)() as session:
        world = build_world(session)
        case_in_status(session, world, CaseStatus.answered)  # something to find, rate and act on
    yield create_app(settings=get_settings(), engine=engine), world
    engine.dispose()


@pytest.mark.postgres_only
def test_no_generated_request_gets_a_server_error(pg_app: tuple[FastAPI, World]) -> None:
    app, world = pg_app
    client = TestClient(app)
    token = login(client, world.manager)
    failures: list[str] = []
    calls = 0
    # One client each for the whole run (a client per request would cost more than the requests).
    with asgi.get_client(app) as anonymous, asgi.get_client(app) as staff:
        staff.cookies.update({SESSION_COOKIE: client.cookies[SESSION_COOKIE]})
        staff.headers.update({"X-CSRF-Token": token})
        for operation in _operations(app):
            calls += _run(operation, anonymous, staff, failures)
    assert failures == []
    assert calls > 40  # the run did send requests
    client.close()


def _run(operation: Any, anonymous: Any, staff: Any, failures: list[str]) -> int:
    calls = 0
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategy = operation.as_strategy(generation_mode=mode)

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy, as_staff=st.booleans())
        def run(case: Any, as_staff: bool) -> None:
            nonlocal calls
            calls += 1
            response = case.call(session=staff if as_staff else anonymous)
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {case.method} {case.formatted_path} {case.query}")

        try:
            run()
        except Exception as exc:  # a case that cannot even be built for this operation and mode
            if "Unsatisfiable" not in type(exc).__name__ and "NonCheckError" not in type(exc).__name__:
                raise
    return calls
