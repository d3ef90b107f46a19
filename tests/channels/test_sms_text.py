"""SMS or LMS by EUC-KR bytes (90 / 2,000), cut with the link, characters carriers refuse replaced."""

from __future__ import annotations

import pytest

from sotong.channels.base import ChannelError
from sotong.channels.sms.gateways import normalise_number
from sotong.channels.sms.text import byte_length, carrier_safe, plan_message

URL = "https://sotong.example/cases/2026-송파-000123"


def test_45_hangul_syllables_are_one_sms_and_46_are_an_lms() -> None:
    assert byte_length("가" * 45) == 90
    assert plan_message("가" * 45).type == "SMS"
    lms = plan_message("가" * 46, subject="[민원 답변] 2026-송파-000123")
    assert lms.type == "LMS" and lms.content == "가" * 46 and lms.subject == "[민원 답변] 2026-송파-000123"


def test_ascii_counts_one_byte() -> None:
    assert plan_message("a" * 90).type == "SMS" and plan_message("a" * 91).type == "LMS"


def test_a_long_answer_is_cut_to_2000_bytes_ending_with_the_link() -> None:
    message = plan_message("도로 보수 공사 안내. " * 300, url=URL)

    assert message.type == "LMS"
    assert byte_length(message.content) <= 2000 and byte_length(message.content) > 1900
    assert message.content.endswith(f"… {URL}")


def test_characters_carriers_refuse_are_replaced_not_sent() -> None:
    text = carrier_safe("감사합니다 🙏 ☺")
    text.encode("euc-kr")  # would raise if anything unencodable were left
    assert text.startswith("감사합니다 ?")


def test_a_long_subject_is_cut_to_40_bytes() -> None:
    message = plan_message("가" * 100, subject="아주 긴 제목" * 10)
    assert message.subject is not None and byte_length(message.subject) <= 40


@pytest.mark.parametrize(
    ("given", "expected"),
    [("010-1234-5678", "01012345678"), ("+82 10 1234 5678", "01012345678"), ("011 234 5678", "0112345678")],
)
def test_mobile_numbers_are_normalised(given: str, expected: str) -> None:
    assert normalise_number(given) == expected


@pytest.mark.parametrize("given", ["02-410-1234", "1234", ""])
def test_a_number_that_is_not_a_mobile_fails_for_good(given: str) -> None:
    with pytest.raises(ChannelError) as caught:
        normalise_number(given)
    assert caught.value.permanent
