"""These tests also drive the web pages: the web fixtures (app, client, make_client) of tests/web."""

from tests.web.conftest import app, client, make_client  # noqa: F401
