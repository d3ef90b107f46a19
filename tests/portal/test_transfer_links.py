"""The public pages of a transfer link to each other: "송파구에서 이송됨" on one, "서울특별시로 이송됨" on the other."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.cases.test_transfer import _transferred
from tests.factories import World


def test_both_public_pages_link_to_each_other(client: TestClient, session: Session, world: World) -> None:
    old, new = _transferred(session, world, release=True)
    assert old.released_at is not None and new.released_at is not None  # reviewed once, public at both ends
    first = html.unescape(client.get(f"/cases/{old.number}").text)
    assert "서울특별시로 이송됨" in first and f'href="/cases/{new.number}"' in first
    second = html.unescape(client.get(f"/cases/{new.number}").text)
    assert "송파구에서 이송됨" in second and f'href="/cases/{old.number}"' in second
