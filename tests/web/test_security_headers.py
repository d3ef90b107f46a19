"""Security headers on every kind of response, and no-store on staff and API answers."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from sotong.web.security import SECURITY_HEADERS
from tests.factories import World
from tests.web.conftest import login


def _has_security_headers(headers: httpx.Headers) -> bool:
    return all(headers.get(name) == value for name, value in SECURITY_HEADERS.items())


def test_public_pages_errors_and_static_files_carry_them(client: TestClient, world: World) -> None:
    for path in ("/", "/stats", "/cases/2026-nope-1", "/static/sotong.css", "/healthz"):
        response = client.get(path)
        assert _has_security_headers(response.headers), path
        assert response.headers.get("cache-control") != "no-store", path


def test_staff_and_api_responses_are_not_stored_by_shared_caches(client: TestClient, world: World) -> None:
    assert client.get("/staff/login").headers["cache-control"] == "no-store"
    api = client.get("/api/v1/cases")
    assert api.headers["cache-control"] == "no-store"
    assert _has_security_headers(api.headers)
    login(client, world.operator)
    staff = client.get("/staff/")
    assert staff.headers["cache-control"] == "no-store"
    assert _has_security_headers(staff.headers)


def test_a_view_s_own_header_wins(make_client: Callable[..., TestClient], world: World) -> None:
    tiled = make_client({"map_tile_url": "https://tiles.example.org/{z}/{x}/{y}.png"}).get("/stats")
    assert "tiles.example.org" in tiled.headers["content-security-policy"]
    assert tiled.headers["x-frame-options"] == "DENY"
