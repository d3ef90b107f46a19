"""JSON API tests: the web fixtures of tests/web."""

from tests.web.conftest import app, client, make_client  # noqa: F401
