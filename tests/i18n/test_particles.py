"""Korean particles follow the final consonant of the word before them, in the catalogue and in citizens' notices."""

from __future__ import annotations

import pytest

from sotong.i18n import catalogue, translate
from sotong.i18n.particles import attach, particle


@pytest.mark.parametrize(
    ("word", "which", "expected"),
    [
        ("주택과", "을", "주택과를"),
        ("도로과", "를", "도로과를"),
        ("공원녹지과", "을", "공원녹지과를"),
        ("교통행정과", "이", "교통행정과가"),
        ("송파구청", "을", "송파구청을"),
        ("불법주정차", "은", "불법주정차는"),
        ("서울특별시", "으로", "서울특별시로"),
        ("송파구", "로", "송파구로"),
        ("서울", "으로", "서울로"),  # ㄹ takes 로
        ("마포구청", "으로", "마포구청으로"),
        ("민원", "와", "민원과"),
        ("도로", "과", "도로와"),
        ("2026-12-25", "을", "2026-12-25를"),  # 오
        ("2026-12-21", "으로", "2026-12-21로"),  # 일: ㄹ
        ("2026-송파-000003", "은", "2026-송파-000003은"),  # 삼
        ("'주택과'", "을", "'주택과'를"),  # a closing quote is looked through
        ("Kakao", "을", "Kakao를"),
        ("email", "을", "email을"),  # 엘
    ],
)
def test_the_particle_follows_the_last_sound(word: str, which: str, expected: str) -> None:
    assert attach(word, which) == expected


def test_an_unreadable_word_keeps_both_spellings() -> None:
    assert particle("🙂", "을") == "을(를)"
    assert particle("", "으로") == "(으)로"


def test_catalogue_strings_choose_the_particle() -> None:
    assert translate("ko", "admin.saved.department", name="주택과") == "부서 '주택과'를 저장했습니다."
    assert translate("ko", "admin.saved.department", name="도로관리팀") == "부서 '도로관리팀'을 저장했습니다."
    assert translate("en", "admin.saved.department", name="Housing") == "Department 'Housing' saved."


def test_no_catalogue_string_writes_both_spellings() -> None:
    lazy = [k for k, v in catalogue("ko").items() if any(p in v for p in ("을(를)", "이(가)", "은(는)", "(으)로"))]
    assert lazy == []
