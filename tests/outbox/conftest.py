from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sotong.db import session_factory
from sotong.outbox import transports
from tests.outbox.helpers import Recording


@pytest.fixture
def factory(engine: Engine) -> Callable[[], Session]:
    """What the worker is given in production: a factory of fresh sessions on the same database."""
    return session_factory(engine)


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> Recording:
    transport = Recording()
    monkeypatch.setitem(transports.TRANSPORTS, transport.name, transport)
    return transport
