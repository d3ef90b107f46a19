"""What a production process does at start that a test or development one does not."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine

from sotong import app as app_module
from sotong import worker
from sotong.app import create_app
from sotong.settings import Environment, Settings


@pytest.fixture
def warmed(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    called = threading.Event()
    monkeypatch.setattr(worker, "warm_models", called.set)
    yield called
    gc.unfreeze()  # a production app freezes what is loaded; give the test process its collector back


def test_a_production_app_loads_the_analyser_in_the_background(
    settings: Settings, engine: Engine, warmed: threading.Event
) -> None:
    production = settings.model_copy(update={"env": Environment.production, "secret_key": "s" * 40})
    create_app(settings=production, engine=engine)
    assert warmed.wait(timeout=10), "the morpheme analyser and the triage model were not loaded at start"


@pytest.fixture
def threads_made(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """The threads the app makes, recorded instead of started: no waiting for something not to happen (another
    test's production app may be warming up in this process meanwhile, under the same thread name)."""
    made: list[dict[str, object]] = []

    def thread(**kwargs: object) -> SimpleNamespace:
        made.append(kwargs)
        return SimpleNamespace(start=lambda: None)

    monkeypatch.setattr(app_module, "threading", SimpleNamespace(Thread=thread))
    return made


def test_a_development_app_loads_nothing_ahead(
    settings: Settings, engine: Engine, warmed: threading.Event, threads_made: list[dict[str, object]]
) -> None:
    create_app(settings=settings, engine=engine)
    assert threads_made == []
    assert not warmed.is_set()


def test_the_recorder_sees_a_production_warm_up(
    settings: Settings, engine: Engine, warmed: threading.Event, threads_made: list[dict[str, object]]
) -> None:
    """The development test's recorder would see a warm-up thread if one were made (it can fail)."""
    production = settings.model_copy(update={"env": Environment.production, "secret_key": "s" * 40})
    create_app(settings=production, engine=engine)
    assert [kw["name"] for kw in threads_made] == ["warm-models"]
