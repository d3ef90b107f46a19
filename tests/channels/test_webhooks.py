"""The webhook router: only channels that push, only their own enabled accounts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sotong.orgs.models import ChannelAccount
from tests.factories import World


def test_an_unknown_channel_has_no_webhook(client: TestClient, world: World) -> None:
    response = client.post(f"/hooks/myspace/{world.x_account.id}", content=b"{}")
    assert response.status_code == 404 and "myspace" in response.json()["error"]


def test_a_polled_channel_has_no_webhook(client: TestClient, mastodon_account: ChannelAccount) -> None:
    response = client.post(f"/hooks/mastodon/{mastodon_account.id}", content=b"[]")
    assert response.status_code == 404


def test_the_account_must_be_of_that_channel(client: TestClient, world: World) -> None:
    response = client.post(f"/hooks/facebook/{world.x_account.id}", content=b"{}")
    assert response.status_code == 404 and "no facebook account" in response.json()["error"]
