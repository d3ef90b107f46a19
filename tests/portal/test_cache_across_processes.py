"""Two web processes over one database (issue 13 item 4): a case hidden, corrected or released through one leaves
the other's cached list, search, feeds and figures at once, not after their TTL; each process learns it from the
public generation the action bumps in its own transaction. On SQLite (a file) and PostgreSQL."""

from __future__ import annotations

import html
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from sotong.cases import actions
from sotong.cases.models import ComplaintType
from tests.factories import World
from tests.portal.helpers import another_process, received

CACHED = {"portal_cache_seconds": "30", "stats_cache_seconds": "60"}
PAGES = ("/", "/?q=가로등", "/feeds/new.rss", "/feeds/new.atom", "/stats?period=all")


def _read(client: TestClient) -> dict[str, str]:
    return {path: html.unescape(client.get(path).text) for path in PAGES}


def test_a_change_in_one_process_empties_the_others_caches_at_once(
    make_client: Callable[..., TestClient], session: Session, world: World
) -> None:
    one, other = make_client(CACHED), make_client(CACHED)  # two apps: two page caches, two feed caches
    shown = received(session, world, "석촌호수로 가로등이 꺼졌어요", minutes_ago=5)
    waiting = received(session, world, "방이동 가로등이 깜빡거려요", release=False)
    before = _read(other)
    assert all(shown.number in text for path, text in before.items() if path != "/stats?period=all")
    assert _read(other) == before  # served from its caches

    # Neither process hears the other's listeners: only the database tells it.
    with another_process():
        operator = world.actor(world.operator)
        actions.withhold(session, actor=operator, case_id=shown.id, reason="주소가 보입니다")
    hidden = _read(other)
    assert [path for path, text in hidden.items() if shown.number in text] == []
    assert hidden["/stats?period=all"] != before["/stats?period=all"]  # one case fewer in the figures

    with another_process():
        actions.release(session, actor=operator, case_id=waiting.id, public_title="방이동 가로등 점검 요청")
    released = _read(other)
    assert all(waiting.number in released[path] for path in ("/", "/?q=가로등", "/feeds/new.rss"))
    assert "방이동 가로등 점검 요청" in released["/feeds/new.rss"]

    with another_process():
        actions.edit_public(session, actor=operator, case_id=waiting.id, public_title="방이동 보안등 점검")
    assert "방이동 보안등 점검" in _read(other)["/feeds/new.rss"]

    with another_process():  # triage finds it a 공익신고: never public, wherever it was cached
        actions.triage(
            session, actor=operator, case_id=waiting.id, complaint_type=ComplaintType.grievance, is_whistleblower=True
        )
    assert [path for path, text in _read(other).items() if waiting.number in text] == []
    assert one.get("/").status_code == 200  # the first process serves on meanwhile
