"""Behind a trusted reverse proxy each citizen keeps their own address; nobody else may claim one, or our host name."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sotong.app import create_app
from sotong.settings import Settings
from tests.channels.webform_support import form_data
from tests.factories import PASSWORD, World
from tests.web.conftest import csrf_from

PROXY = "10.0.0.2"


@pytest.fixture
def through(settings: Settings, engine: Engine) -> Iterator[Callable[..., TestClient]]:
    """A browser whose requests arrive from `peer` (the proxy) saying they come from `citizen`."""
    opened: list[TestClient] = []

    def make(citizen: str | None, *, peer: str = PROXY, trusted: str = "10.0.0.0/8", **overrides: object) -> TestClient:
        app_settings = settings.model_copy(update={"proxy_trusted": trusted, **overrides})
        headers = {"X-Forwarded-For": f"{citizen}, {peer}" if citizen else peer, "X-Forwarded-Proto": "https"}
        client = TestClient(create_app(settings=app_settings, engine=engine), client=(peer, 50000), headers=headers)
        opened.append(client.__enter__())
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def test_two_citizens_behind_the_proxy_have_a_web_form_limit_each(
    through: Callable[..., TestClient], world: World, settings: Settings
) -> None:
    settings.webform_max_per_window = 2
    first = through("203.0.113.7", webform_max_per_window=2)
    for _ in range(2):
        assert first.post("/report", data=form_data(first, settings)).status_code == 200
    assert first.post("/report", data=form_data(first, settings)).status_code == 429
    second = through("198.51.100.9", webform_max_per_window=2)
    assert second.post("/report", data=form_data(second, settings)).status_code == 200


def test_an_untrusted_peer_cannot_claim_another_address(
    through: Callable[..., TestClient], world: World, settings: Settings
) -> None:
    settings.webform_max_per_window = 1
    for n in range(2):  # a new forged address each time, from the same direct peer
        client = through(f"192.0.2.{n}", peer="203.0.113.50", webform_max_per_window=1)
        status = client.post("/report", data=form_data(client, settings)).status_code
        assert status == (200 if n == 0 else 429)


def _login(client: TestClient, username: str, password: str) -> int:
    token = csrf_from(client.get("/staff/login").text)
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/staff/login", data=data, follow_redirects=False).status_code


def test_the_login_lockout_counts_each_citizen_not_the_proxy(through: Callable[..., TestClient], world: World) -> None:
    attacker = through("203.0.113.66", login_max_failures=3)
    for name in ("a", "b", "c"):
        assert _login(attacker, name, "wrong") == 401
    assert _login(attacker, "lee.operator", PASSWORD) == 429
    colleague = through("198.51.100.20", login_max_failures=3)
    assert _login(colleague, "lee.operator", PASSWORD) == 303


def test_a_stranger_host_name_is_refused_but_probes_answer(settings: Settings, engine: Engine) -> None:
    app_settings = settings.model_copy(update={"allowed_hosts": "minwon.songpa.go.kr,.seoul.go.kr"})
    app = create_app(settings=app_settings, engine=engine)
    with TestClient(app, base_url="https://minwon.songpa.go.kr") as ours:
        assert ours.get("/").status_code == 200
        assert ours.get("/", headers={"Host": "eungdapso.seoul.go.kr"}).status_code == 200
        evil = ours.get("/staff/", headers={"Host": "evil.example"}, follow_redirects=False)
        assert evil.status_code == 400 and "evil.example" not in evil.headers.get("location", "")
        assert ours.get("/healthz", headers={"Host": "10.1.2.3:8000"}).status_code == 200
