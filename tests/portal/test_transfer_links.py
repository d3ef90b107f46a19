"""The public pages of a transfer link to each other: "송파구에서 이송됨" on one, "서울특별시로 이송됨" on the other."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases import links
from tests.cases.test_transfer import _transferred
from tests.factories import World


def test_both_public_pages_link_to_each_other(client: TestClient, session: Session, world: World) -> None:
    old, new = _transferred(session, world, release=True)
    assert old.released_at is not None and new.released_at is not None  # reviewed once, public at both ends
    first = html.unescape(client.get(f"/cases/{old.number}").text)
    assert "서울특별시로 이송됨" in first and f'href="/cases/{new.number}"' in first
    second = html.unescape(client.get(f"/cases/{new.number}").text)
    assert "송파구에서 이송됨" in second and f'href="/cases/{old.number}"' in second


def test_the_citizen_follows_a_case_not_yet_public_to_the_other_organisation(
    client: TestClient, session: Session, world: World
) -> None:
    old, new = _transferred(session, world)  # never released: no public page at either end
    assert old.citizen_token
    assert client.get(f"/cases/{new.number}").status_code == 404
    assert client.get(f"/cases/{old.number}").status_code == 404
    # The citizen's tracking link opens the old case; from there, their own link to the new one, and back.
    token = links.link_token(case_number=old.number, citizen_token=old.citizen_token)
    mine = html.unescape(client.get(f"/cases/{old.number}?t={token}").text)
    onward = links.link_token(case_number=new.number, citizen_token=old.citizen_token)
    assert f'href="/cases/{new.number}?t={onward}"' in mine
    there = client.get(f"/cases/{new.number}?t={onward}")
    assert there.status_code == 200 and "송파구에서 이송됨" in html.unescape(there.text)
    assert f'href="/cases/{old.number}?t={token}"' in html.unescape(there.text)
