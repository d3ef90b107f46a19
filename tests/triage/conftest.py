"""Fixtures shared by the triage tests."""

from __future__ import annotations

import pytest

from sotong.triage.pipeline import TriageModel, default_model


@pytest.fixture(scope="session")
def seed_model() -> TriageModel:
    """The model a new installation ships with, trained from the seed corpus once per test process."""
    return default_model()
