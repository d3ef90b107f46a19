"""What a production process does at start that a test or development one does not."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from sotong.app import create_app
from sotong.search import analysis
from sotong.settings import Environment, Settings


@pytest.fixture
def warmed(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    called = threading.Event()
    monkeypatch.setattr(analysis, "warm", called.set)
    yield called
    gc.unfreeze()  # a production app freezes what is loaded; give the test process its collector back


def test_a_production_app_loads_the_analyser_in_the_background(
    settings: Settings, engine: Engine, warmed: threading.Event
) -> None:
    production = settings.model_copy(update={"env": Environment.production, "secret_key": "s" * 40})
    create_app(settings=production, engine=engine)
    assert warmed.wait(timeout=10), "the morpheme analyser was not loaded at start"


def test_a_development_app_loads_nothing_ahead(settings: Settings, engine: Engine, warmed: threading.Event) -> None:
    create_app(settings=settings, engine=engine)
    assert not warmed.wait(timeout=0.5)
