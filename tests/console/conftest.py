"""Console tests: the web fixtures (app, client, make_client) of tests/web, and the inbox's desk fixtures."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from sotong.triage import model_store
from tests.cases.conftest import case, template  # noqa: F401 - a case in progress, a standard answer
from tests.factories import World
from tests.triage.helpers import tiny_model
from tests.web.conftest import app, client, make_client  # noqa: F401


@pytest.fixture
def tiny_triage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Triage with the tiny test model (two categories and chatter) instead of the seed-trained default."""
    monkeypatch.setattr(model_store, "default_model", tiny_model)


@pytest.fixture
def desk(session: Session, world: World, tiny_triage: None) -> World:
    """The world with auto-routing off (a threshold no model reaches): every triaged case waits for an operator."""
    world.songpa.auto_route_threshold = 1.01
    session.commit()
    return world
