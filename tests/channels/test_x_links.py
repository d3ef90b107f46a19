"""What X really posts: its length and its links as twitter-text (X's own library, in the fake) sees them."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sotong.cases.models import Case
from sotong.channels.x.poll import poll
from sotong.channels.x.text import shorten, weighted_length
from sotong.orgs.models import ChannelAccount
from sotong.settings import reset_settings_cache
from tests.channels.conftest import answer_case
from tests.factories import World
from tests.fakes.x import FakeX

# A city's real address: twitter-text links it (it does not link an IP address or an unknown top-level domain).
BASE_URL = "https://minwon.songpa.go.kr"


@pytest.fixture
def city_base_url(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SOTONG_BASE_URL", BASE_URL)
    reset_settings_cache()
    return BASE_URL


def _case(session: Session, account: ChannelAccount) -> Case:
    return session.scalars(select(Case).where(Case.channel_account_id == account.id)).one()


def test_length_follows_twitter_text_for_jamo_kana_punctuation_and_emoji() -> None:
    # twitter-text v3: code points up to U+10FF and a few punctuation ranges weigh 1, the rest 2; an emoji
    # sequence joined by ZWJ is one emoji (2); a URL 23 whatever its length.
    assert weighted_length("ㅋㅋㅋ") == 6
    assert weighted_length("かな。、") == 8
    assert weighted_length("“quoted”") == 8
    assert weighted_length("👨\u200d👩\u200d👧") == 2
    assert weighted_length("see https://example.org/" + "a" * 100) == 4 + 23
    short = shorten("가" * 200 + " https://sotong.example.org/cases/SP-1", "https://sotong.example.org/cases/SP-1")
    assert weighted_length(short) <= 280 and short.endswith("… https://sotong.example.org/cases/SP-1")
    assert shorten("짧은 답변", "https://x.example.org") == "짧은 답변"


def test_the_tracking_link_with_a_hangul_case_number_is_linked_whole(
    city_base_url: str, session: Session, x: FakeX, x_account: ChannelAccount, deliver: Callable[[], int]
) -> None:
    x.mention("석촌호수 앞 보도블럭이 깨졌어요")
    poll(session, account_id=x_account.id)
    case = _case(session, x_account)
    assert any("\uac00" <= c <= "\ud7a3" for c in case.number)  # 2026-송파-000001

    deliver()

    receipt = x.replies()[-1]
    [link] = receipt["entities"]["urls"]
    assert link["expanded_url"].isascii()
    assert unquote(link["expanded_url"]) == f"{city_base_url}/cases/{case.number}"


def test_a_long_answer_fits_as_x_counts_it_and_is_posted(
    city_base_url: str,
    session: Session,
    world: World,
    x: FakeX,
    x_account: ChannelAccount,
    deliver: Callable[[], int],
) -> None:
    x.mention("가로등이 꺼져 있어요")
    poll(session, account_id=x_account.id)
    case = _case(session, x_account)
    deliver()
    # Cut to the last character that fits: a count that differs from X's by a few is refused as too long.
    answer_case(session, world, case.id, "석촌호수 산책로 가로등 3기를 교체했습니다. " * 20)

    deliver()

    answer = x.replies()[-1]
    assert "가로등 3기를 교체했습니다" in answer["text"] and "…" in answer["text"]
    [link] = answer["entities"]["urls"]
    assert unquote(link["expanded_url"]) == f"{city_base_url}/cases/{case.number}"
