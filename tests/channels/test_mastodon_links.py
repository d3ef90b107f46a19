"""What Mastodon really links: a receipt's tracking link with a Hangul case number is linked whole (percent-encoded),
as Mastodon's extractor (twitter-text's, in the fake) sees it."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Case
from sotong.channels.mastodon.poll import poll
from sotong.orgs.models import ChannelAccount
from sotong.settings import reset_settings_cache
from tests.fakes.mastodon import FakeMastodon

# A city's real address: Mastodon links it (it does not link an IP address or an unknown top-level domain).
BASE_URL = "https://minwon.songpa.go.kr"


@pytest.fixture
def city_base_url(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SOTONG_BASE_URL", BASE_URL)
    reset_settings_cache()
    return BASE_URL


def test_the_tracking_link_with_a_hangul_case_number_is_linked_whole(
    city_base_url: str,
    session: Session,
    mastodon: FakeMastodon,
    mastodon_account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    mastodon.mention("석촌호수 앞 보도블럭이 깨졌어요")
    poll(session, account_id=mastodon_account.id)
    case = session.scalars(select(Case).where(Case.channel_account_id == mastodon_account.id)).one()
    assert any("\uac00" <= c <= "\ud7a3" for c in case.number)  # 2026-송파-000001

    deliver()

    receipt = mastodon.posted()[-1]
    [link] = re.findall(r'<a href="([^"]+)"', receipt["content"])
    assert link.isascii() and unquote(link).startswith(f"{BASE_URL}/cases/{case.number}")
