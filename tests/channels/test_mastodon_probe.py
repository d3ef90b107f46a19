"""'연결 확인' for a Mastodon account: the token, and a notification policy that would filter strangers' DMs."""

from __future__ import annotations

from typing import Any

import pytest

from sotong.channels.base import ProbeError
from sotong.channels.mastodon.connector import MastodonConnector
from sotong.channels.mastodon.poll import OPEN_POLICY
from tests.fakes.mastodon import FakeMastodon


def _config(mastodon: FakeMastodon, **changes: Any) -> dict[str, Any]:
    return {"base_url": mastodon.base_url, "access_token": mastodon.token, **changes}


def test_a_policy_that_filters_strangers_dms_is_reported(mastodon: FakeMastodon) -> None:
    with pytest.raises(ProbeError) as refused:
        MastodonConnector().probe(_config(mastodon))  # Mastodon 4.3's default policy

    assert refused.value.key == "channels.probe.mastodon.filtered"
    assert not [r for r in mastodon.requests if r.method == "PATCH"]  # a probe only reads


def test_a_good_token_and_an_open_policy_pass(mastodon: FakeMastodon) -> None:
    mastodon.policy.update(OPEN_POLICY)

    MastodonConnector().probe(_config(mastodon))


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"access_token": "revoked"}, "channels.probe.mastodon.bad_token"),
        ({"access_token": ""}, "channels.probe.mastodon.no_token"),
    ],
)
def test_a_wrong_or_missing_token_is_named(mastodon: FakeMastodon, changes: dict[str, str], key: str) -> None:
    with pytest.raises(ProbeError) as refused:
        MastodonConnector().probe(_config(mastodon, **changes))

    assert refused.value.key == key
