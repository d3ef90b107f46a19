"""Worker tests: the outbox's fixtures (a session factory, a transport that records what it is handed)."""

from tests.outbox.conftest import factory, recording  # noqa: F401
