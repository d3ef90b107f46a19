"""The console's cached reference data: read once, dropped by any write through the ORM in this process, and
re-read after TTL_SECONDS when another process changed it behind this one's back."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from sotong.console import reference
from sotong.db import atomic
from sotong.orgs.models import Department
from tests.factories import World


def _names(session: Session, world: World) -> list[str]:
    return [d.name for d in reference.departments(session, org_id=world.songpa.id)]


def test_a_write_in_this_process_is_seen_at_once(session: Session, world: World) -> None:
    assert _names(session, world) == sorted(["도로과", "청소행정과"])
    with atomic(session):
        department = session.get(Department, world.roads.id)
        assert department is not None
        department.name = "도로관리과"
    assert "도로관리과" in _names(session, world)


def test_another_process_write_is_seen_after_the_ttl(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "도로과" in _names(session, world)
    with atomic(session):  # as another worker would: no ORM object of this process is flushed
        session.execute(text("UPDATE departments SET name = '포장도로과' WHERE id = :id"), {"id": world.roads.id})
    assert "도로과" in _names(session, world)  # still the cached copy
    later = time.monotonic() + reference.TTL_SECONDS + 1
    monkeypatch.setattr(reference.time, "monotonic", lambda: later)
    assert "포장도로과" in _names(session, world)
    assert reference.category_names(session, org_id=world.songpa.id) == {world.pothole.id: world.pothole.name}
