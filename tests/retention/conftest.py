"""Retention tests: the web fixtures of tests/web (anonymised cases must still render)."""

from tests.web.conftest import app, client, make_client  # noqa: F401
