"""The public place name: district and road (or 동) from a typed or found address, never the building number,
a flat, a name or a phone number typed with it."""

from __future__ import annotations

import pytest

from sotong.text.places import area_of


@pytest.mark.parametrize(
    ("address", "area"),
    [
        ("서울특별시 송파구 올림픽로 326", "송파구 올림픽로"),
        ("서울특별시 송파구 올림픽로 326, 101동 202호", "송파구 올림픽로"),
        ("서울특별시 마포구 월드컵로35가길 10", "마포구 월드컵로35가길"),
        ("서울특별시 중구 태평로1가 31", "중구 태평로1가"),
        ("송파구 잠실동 40-1", "송파구 잠실동"),
        ("수원시 팔달구 효원로 1", "팔달구 효원로"),
        ("성남시 분당로 50", "성남시 분당로"),
        ("서울 송파구 잠실동 잠실역 4번 출구", "송파구"),  # no number after 잠실동: the district only
        ("송파구 홍길동 집 앞", "송파구"),  # a name ending in 동 is not a 동
        ("송파구 홍길동 010-1234-5678", "송파구"),  # nor before a phone number
        ("잠실역 앞", None),
        ("", None),
        (None, None),
    ],
)
def test_area_of(address: str | None, area: str | None) -> None:
    assert area_of(address) == area
