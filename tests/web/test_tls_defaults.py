"""Secure cookies and HSTS are on by default in production, and production will not start without them unless
told the reverse proxy handles TLS (issue 22, finding 7)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine

from sotong.app import create_app
from sotong.settings import Environment, Settings
from tests.factories import World
from tests.web.conftest import csrf_from

PRODUCTION: dict[str, Any] = {
    "env": Environment.production,
    "secret_key": "f3Kq9_Zx2LmT8vRw4NbY7cPd1HsJ6gUe0aVo5iQk",
    "database_url": "postgresql://sotong@db/sotong",
    "base_url": "https://minwon.songpa.go.kr",
    "allowed_hosts": "minwon.songpa.go.kr",
}


def _production(**values: Any) -> Settings:
    return Settings(_env_file=None, **{**PRODUCTION, **values})  # type: ignore[arg-type]


def test_production_defaults_to_secure_cookies_and_a_year_of_hsts() -> None:
    settings = _production()
    assert settings.secure_cookies is True
    assert settings.hsts_max_age == 365 * 24 * 3600


def test_development_and_tests_default_to_neither() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.secure_cookies, settings.hsts_max_age) == (False, 0)


@pytest.mark.parametrize(
    ("values", "named"), [({"cookie_secure": False}, "COOKIE_SECURE"), ({"hsts_seconds": 0}, "HSTS")]
)
def test_production_refuses_to_start_without_them(values: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        _production(**values)
    allowed = _production(**values, tls_at_proxy=True)  # the proxy says it sets them itself
    assert allowed.env is Environment.production


def test_with_the_production_defaults_the_app_sends_hsts_and_a_secure_cookie(
    settings: Settings, engine: Engine, world: World
) -> None:
    production = settings.model_copy(
        update={"env": Environment.development, "cookie_secure": True, "hsts_seconds": 31536000}
    )
    with TestClient(create_app(settings=production, engine=engine), base_url="https://sotong.test") as client:
        page = client.get("/staff/login")
        assert page.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        assert client.get("/").headers["strict-transport-security"].startswith("max-age=31536000")
        cookie = page.headers["set-cookie"]
        assert "secure" in cookie.lower() and "httponly" in cookie.lower()
        assert csrf_from(page.text)


def test_without_https_settings_no_hsts_is_sent(client: TestClient) -> None:
    assert "strict-transport-security" not in client.get("/").headers
