"""The app shell: health, languages, API docs, security headers, error pages."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import World
from tests.web.conftest import login


def test_health_is_liveness_only(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["version"]


def test_korean_by_default_english_on_request_and_remembered(client: TestClient, world: World) -> None:
    home = client.get("/")
    assert '<html lang="ko">' in home.text and "공개 민원" in home.text
    english = client.get("/?lang=en")
    assert '<html lang="en">' in english.text and "Public complaints" in english.text
    assert "Public complaints" in client.get("/report").text  # remembered in the session
    assert "?lang=ko" in english.text  # the switcher offers the way back


def test_accept_language_and_the_users_preference(client: TestClient, world: World) -> None:
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "en-US,en;q=0.9,ko;q=0.5"}).text
    assert '<html lang="ko">' in client.get("/", headers={"Accept-Language": "fr, ko;q=0.3"}).text


def test_english_status_labels_in_the_console(client: TestClient, world: World) -> None:
    login(client, world.operator)
    page = client.get("/staff/?lang=en").text
    assert "Received" in page and "Cases by status" in page
    assert "접수" in client.get("/staff/?lang=ko").text


def test_language_switcher_on_every_page(client: TestClient, world: World) -> None:
    for path in ("/", "/report", "/staff/login", "/api/v1/docs"):
        assert 'class="lang-switch"' in client.get(path).text, path


def test_openapi_and_docs_are_served_without_a_cdn(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/cases" in spec["paths"]
    assert "/api/v1/cases/{number}/answer" in spec["paths"]
    assert "AnswerIn" in spec["components"]["schemas"]
    assert not any(p.startswith("/staff") or p == "/" for p in spec["paths"])
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "/api/v1/cases/{number}/transfer_organisation" in docs.text
    assert "cdn" not in docs.text.lower()


def test_security_headers_and_friendly_404(client: TestClient) -> None:
    page = client.get("/cases/nope")
    assert page.status_code == 404
    assert "찾을 수 없습니다" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404
    assert api.json()["error"] == "not_found"


def test_static_files_are_ours(client: TestClient) -> None:
    assert client.get("/static/sotong.css").status_code == 200
    assert client.get("/static/sotong.js").status_code == 200
