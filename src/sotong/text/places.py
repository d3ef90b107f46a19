"""The public name of a complaint's place: the district and the road (or the 동), never the building number.

A road address with its building number (올림픽로 326) points at a front door, as an exact position does; the
public pages snap positions to a ~50 m grid for that reason (portal/service.coarse_location), so the name they
show stops at the road: 송파구 올림픽로. Only words that have the shape of a district and a road or 동 are taken
from what the citizen typed, so a name or a flat number typed into the address box never comes along.
"""

from __future__ import annotations

import re

# 시/군/구, then a road (…로, …길, also 월드컵로35가길) or a 동/가/리 (잠실동, 태평로1가) followed by its number, as
# addresses are written. The number is required: "송파구 홍길동" (a person's name ending in 동) is not a place.
_DISTRICT = re.compile(r"(?:^|\s)([가-힣]{1,10}(?:구|군))(?=\s|$)")
_PLACE = re.compile(r"\s+([가-힣][가-힣0-9]{0,20}(?:로|길|동|가|리))\s+(?!0\d{1,2}[-\s.]?\d{3,4})(?:산\s*)?\d")
_CITY_PLACE = re.compile(r"(?:^|\s)([가-힣]{1,10}시)\s+([가-힣][가-힣0-9]{0,20}(?:로|길))\s+\d")


def area_of(address: str | None) -> str | None:
    """'송파구 올림픽로' from '서울특별시 송파구 올림픽로 326, 101동 202호', '송파구' from '송파구 석촌호수 앞', or None
    when nothing has the shape of a district."""
    if not address:
        return None
    district = _DISTRICT.search(address)
    if district is None:
        city = _CITY_PLACE.search(address)  # a city without districts: 성남시 분당로 50
        return f"{city.group(1)} {city.group(2)}" if city else None
    place = _PLACE.match(address, district.end())
    return f"{district.group(1)} {place.group(1)}" if place else district.group(1)
