"""The web app on the test database, a browser-like client, and logging personas in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sotong.app import create_app
from sotong.orgs.models import User
from sotong.settings import Settings, get_settings, reset_settings_cache
from tests.factories import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

# A real (tiny) PNG is not needed: intake sniffs the signature, as it would for any upload.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def csrf_from(html: str) -> str:
    """The CSRF token embedded in a page's forms."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings=settings, engine=engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def make_client(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., TestClient]]:
    """A client on an app built with extra SOTONG_* settings, and optionally from another address."""
    opened: list[TestClient] = []

    def make(env: dict[str, str] | None = None, ip: str = "testclient") -> TestClient:
        for key, value in (env or {}).items():
            monkeypatch.setenv(f"SOTONG_{key.upper()}", value)
        reset_settings_cache()
        c = TestClient(create_app(settings=get_settings(), engine=engine), client=(ip, 50000))
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.close()


def login(client: TestClient, user: User | str, password: str = PASSWORD) -> str:
    """Log `user` in through the form; returns the session's CSRF token."""
    username = user if isinstance(user, str) else user.username
    token = csrf_from(client.get("/staff/login").text)
    response = client.post(
        "/staff/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/staff/").text)
