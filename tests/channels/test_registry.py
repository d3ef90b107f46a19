"""Every channel is one folder whose connector declares what the rest of Sotong needs: nothing is looked up in a
table of channel facts kept somewhere else."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from sotong.channels.base import ChannelError, OutboundPost
from sotong.channels.registry import CONNECTORS, polled, public_groups, secret_fields
from sotong.orgs.models import Channel
from sotong.outbox.transports import TRANSPORTS, is_private
from sotong.portal.service import CHANNEL_GROUPS, ChannelGroup
from sotong.secrets import is_secret


def test_every_channel_has_one_connector_under_its_name() -> None:
    assert sorted(CONNECTORS) == sorted(channel.value for channel in Channel)
    assert all(name == connector.name for name, connector in CONNECTORS.items())


def test_the_connectors_are_the_outboxs_transports_after_start_up() -> None:
    # tests/conftest.py runs sotong.wiring.install(), as every process does at start-up.
    assert all(TRANSPORTS[name] is connector for name, connector in CONNECTORS.items())


def test_every_connector_belongs_to_a_public_group_and_the_portal_filters_by_them() -> None:
    assert set(public_groups()) == {group.value for group in ChannelGroup}
    grouped = [channel for channels in CHANNEL_GROUPS.values() for channel in channels]
    assert sorted(grouped) == sorted(Channel)


def test_secret_fields_are_sealed_at_rest() -> None:
    for name in CONNECTORS:
        for field in secret_fields(name):
            assert is_secret(field), f"{name}.{field} would be stored in clear"


@pytest.mark.parametrize(
    ("name", "private"),
    [("x", False), ("mastodon", False), ("facebook", False), ("kakao", True), ("naver", True), ("email", True)],
)
def test_public_replies_carry_no_token(name: str, private: bool) -> None:
    assert is_private(name) is private


def test_the_polled_channels() -> None:
    assert set(polled()) == {"x", "mastodon", "email"}


@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_publishing_is_refused_clearly_until_a_channel_does_it(name: str) -> None:
    connector = CONNECTORS[name]
    assert not connector.posts
    with pytest.raises(ChannelError, match="not supported") as refused:
        connector.post({}, OutboundPost(text="공지", idempotency_key="post:1"))
    assert refused.value.permanent
    with pytest.raises(ChannelError, match="not supported"):
        connector.reactions({}, "12345")


@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_every_connector_says_what_its_citizens_look_like(name: str) -> None:
    rng = random.Random(7)
    author = CONNECTORS[name].sample_author(rng, name="김민지", phone="010-2345-6789", word="seokchon")
    assert author.handle or author.contact  # someone to answer
    assert CONNECTORS[name].sample_message_id(rng, received=dt.datetime(2026, 3, 2, tzinfo=dt.UTC), serial=1)
