"""Portal tests use the web fixtures (app, client, make_client) and a few public cases made by real actions."""

from __future__ import annotations

# Official accounts on the fake platforms (webhooks, polling, public replies) and the outbox worker.
from tests.channels.conftest import (  # noqa: F401
    deliver,
    facebook_account,
    factory,
    graph,
    mastodon,
    mastodon_account,
    x,
    x_account,
)
from tests.web.conftest import app, client, make_client  # noqa: F401  (fixtures shared with the web tests)
