"""Every administration page renders for an admin, in Korean, with its forms."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import World
from tests.web.conftest import login

PAGES = ["", "/departments", "/users", "/categories", "/rules", "/sla", "/calendar", "/audit"]


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_admin_sees_every_page(client: TestClient, world: World, path: str, lang: str) -> None:
    login(client, world.admin)
    response = client.get(f"/staff/admin{path}", params={"lang": lang})
    assert response.status_code == 200, response.text
    assert 'aria-current="page"' in response.text
    assert "admin." not in response.text.replace("/staff/admin", "").replace("/static/admin", ""), "untranslated key"


def test_edit_pages_render(client: TestClient, world: World) -> None:
    login(client, world.admin)
    for path in (
        f"/departments/{world.roads.id}",
        f"/users/{world.officer.id}",
        f"/users/{world.admin.id}",
        f"/categories/{world.pothole.id}",
    ):
        response = client.get(f"/staff/admin{path}")
        assert response.status_code == 200, (path, response.text)


def test_menu_entry_only_for_admins(client: TestClient, world: World) -> None:
    login(client, world.admin)
    assert 'href="/staff/admin"' in client.get("/staff/").text
    with TestClient(client.app) as operator:
        login(operator, world.operator)
        assert 'href="/staff/admin"' not in operator.get("/staff/").text
