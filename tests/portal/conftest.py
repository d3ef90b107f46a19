"""Portal tests use the web fixtures (app, client, make_client) and a few public cases made by real actions."""

from __future__ import annotations

from tests.channels.conftest import facebook_account, graph  # noqa: F401  (a Page and its Graph fake, for webhooks)
from tests.web.conftest import app, client, make_client  # noqa: F401  (fixtures shared with the web tests)
