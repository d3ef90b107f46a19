"""The demo as a first-time user meets it: every staff page answers, in Korean, on the data `make run` loads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sotong.app import create_app
from sotong.db import make_engine
from sotong.demo import data
from sotong.settings import get_settings, reset_settings_cache
from tests.web.conftest import login


@pytest.fixture
def demo_client(demo_db: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A browser on the web app over the loaded demo."""
    monkeypatch.setenv("SOTONG_DATABASE_URL", demo_db[0])
    reset_settings_cache()
    engine = make_engine(demo_db[0])
    with TestClient(create_app(settings=get_settings(), engine=engine)) as client:
        yield client
    engine.dispose()


def test_the_audit_log_shows_the_demo_set_up(demo_client: TestClient) -> None:
    # The demo's standard answers store their required elements as a list, which the log once looked up as a name.
    login(demo_client, "songpa.admin", data.DEMO_PASSWORD)
    page = demo_client.get("/staff/admin/audit")
    assert page.status_code == 200, page.text
    assert "표준답안 추가" in page.text
    assert "['" not in page.text  # a list is written as text, not as Python
