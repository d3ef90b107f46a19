"""A faithful fake of the 도로명주소 API (juso.go.kr) for the report form's address search.

Two documented endpoints, both answering HTTP 200 with `{"results": {"common": {...}, "juso": [...]}}` even when
they refuse (the refusal is `common.errorCode`, e.g. "E0001" for a key that is not approved):
- `GET /addrlink/addrLinkApi.do?confmKey=&keyword=&currentPage=&countPerPage=&resultType=json` (search);
- `GET /addrlink/addrCoordApi.do?confmKey=&admCd=&rnMgtSn=&udrtYn=&buldMnnm=&buldSlno=&resultType=json`
  (coordinates of the building's entrance, `entX`/`entY` in UTM-K, EPSG:5179, as strings).
The coordinates are computed here from WGS84 with the forward Transverse Mercator series (the product carries the
inverse), so a mistake on either side shows as a pin in the wrong place.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.server import Request, Response, serve

SEARCH_KEY = "devU01TX0FVVEgyMDI2MTIwNzEwMDAwMDExNTI5MDQ="
COORD_KEY = "devU01TX0FVVEgyMDI2MTIwNzEwMDEwMDExNTI5MDU="

# Real addresses (public buildings), with their WGS84 positions.
ADDRESSES: list[dict[str, Any]] = [
    {
        "roadAddrPart1": "서울특별시 송파구 올림픽로 326",
        "roadAddrPart2": " (신천동)",
        "jibunAddr": "서울특별시 송파구 신천동 29-5 송파구청",
        "bdNm": "송파구청",
        "siNm": "서울특별시",
        "sggNm": "송파구",
        "emdNm": "신천동",
        "rn": "올림픽로",
        "admCd": "1171010200",
        "rnMgtSn": "117102005005",
        "udrtYn": "0",
        "buldMnnm": "326",
        "buldSlno": "0",
        "zipNo": "05552",
        "lat": 37.514543,
        "lon": 127.105917,
    },
    {
        "roadAddrPart1": "서울특별시 송파구 올림픽로 240",
        "roadAddrPart2": " (잠실동)",
        "jibunAddr": "서울특별시 송파구 잠실동 40-1 롯데월드",
        "bdNm": "롯데월드",
        "siNm": "서울특별시",
        "sggNm": "송파구",
        "emdNm": "잠실동",
        "rn": "올림픽로",
        "admCd": "1171010100",
        "rnMgtSn": "117102005005",
        "udrtYn": "0",
        "buldMnnm": "240",
        "buldSlno": "0",
        "zipNo": "05554",
        "lat": 37.511115,
        "lon": 127.098163,
    },
    {
        "roadAddrPart1": "서울특별시 마포구 월드컵로 212",
        "roadAddrPart2": " (성산동)",
        "jibunAddr": "서울특별시 마포구 성산동 370 마포구청",
        "bdNm": "마포구청",
        "siNm": "서울특별시",
        "sggNm": "마포구",
        "emdNm": "성산동",
        "rn": "월드컵로",
        "admCd": "1144012500",
        "rnMgtSn": "114403113012",
        "udrtYn": "0",
        "buldMnnm": "212",
        "buldSlno": "0",
        "zipNo": "03937",
        "lat": 37.566324,
        "lon": 126.901636,
    },
    {
        "roadAddrPart1": "서울특별시 중구 세종대로 110",
        "roadAddrPart2": " (태평로1가)",
        "jibunAddr": "서울특별시 중구 태평로1가 31 서울특별시청",
        "bdNm": "서울특별시청",
        "siNm": "서울특별시",
        "sggNm": "중구",
        "emdNm": "태평로1가",
        "rn": "세종대로",
        "admCd": "1114010300",
        "rnMgtSn": "111403005001",
        "udrtYn": "0",
        "buldMnnm": "110",
        "buldSlno": "0",
        "zipNo": "04524",
        "lat": 37.566295,
        "lon": 126.977945,
    },
]


def utmk(lat: float, lon: float) -> tuple[float, float]:
    """WGS84 degrees to UTM-K (EPSG:5179) metres: Transverse Mercator, GRS80, 38N 127.5E, k0 0.9996."""
    a, f, k0 = 6378137.0, 1 / 298.257222101, 0.9996
    e2 = f * (2 - f)
    ep2 = e2 / (1 - e2)

    def meridian(phi: float) -> float:
        return a * (
            (1 - e2 / 4 - 3 * e2**2 / 64 - 5 * e2**3 / 256) * phi
            - (3 * e2 / 8 + 3 * e2**2 / 32 + 45 * e2**3 / 1024) * math.sin(2 * phi)
            + (15 * e2**2 / 256 + 45 * e2**3 / 1024) * math.sin(4 * phi)
            - (35 * e2**3 / 3072) * math.sin(6 * phi)
        )

    phi, lam = math.radians(lat), math.radians(lon)
    n = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    t = math.tan(phi) ** 2
    c = ep2 * math.cos(phi) ** 2
    big_a = (lam - math.radians(127.5)) * math.cos(phi)
    x = 1_000_000 + k0 * n * (
        big_a + (1 - t + c) * big_a**3 / 6 + (5 - 18 * t + t**2 + 72 * c - 58 * ep2) * big_a**5 / 120
    )
    y = 2_000_000 + k0 * (
        meridian(phi)
        - meridian(math.radians(38.0))
        + n
        * math.tan(phi)
        * (
            big_a**2 / 2
            + (5 - t + 9 * c + 4 * c**2) * big_a**4 / 24
            + (61 - 58 * t + t**2 + 600 * c - 330 * ep2) * big_a**6 / 720
        )
    )
    return x, y


def _answer(code: str = "0", message: str = "정상", juso: list[dict[str, Any]] | None = None) -> Response:
    rows = juso or []
    common = {
        "errorCode": code,
        "errorMessage": message,
        "totalCount": str(len(rows)),
        "currentPage": "1",
        "countPerPage": "10",
    }
    return Response(200, {"results": {"common": common, "juso": rows if code == "0" else None}})


@dataclass
class FakeJuso:
    """The two APIs with one approved key each."""

    base_url: str = ""
    search_key: str = SEARCH_KEY
    coord_key: str = COORD_KEY
    down: bool = False  # answers HTTP 500 (the service is failing)
    requests: list[Request] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def search_url(self) -> str:
        return f"{self.base_url}/addrlink/addrLinkApi.do"

    @property
    def coord_url(self) -> str:
        return f"{self.base_url}/addrlink/addrCoordApi.do"

    def handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
        if self.down:
            return Response(500, None)
        query = {k: v[0] for k, v in request.query.items()}
        if query.get("resultType") != "json":
            return Response(200, b"<results/>", {"Content-Type": "application/xml"})
        if request.path == "/addrlink/addrLinkApi.do":
            return self._search(query)
        if request.path == "/addrlink/addrCoordApi.do":
            return self._coordinates(query)
        return Response(404, None)

    def _search(self, query: dict[str, str]) -> Response:
        if query.get("confmKey") != self.search_key:
            return _answer("E0001", "승인되지 않은 KEY 입니다.")
        keyword = query.get("keyword", "").strip()
        if not keyword:
            return _answer("E0005", "검색어가 입력되지 않았습니다.")
        if len(keyword) < 2:
            return _answer("E0008", "검색어는 두글자 이상 입력되어야 합니다.")
        if len(keyword) > 80:
            return _answer("E0010", "검색어가 너무 깁니다.")
        if any(ch in keyword for ch in "%=><[]"):
            return _answer("E0012", "특수문자 일부를 포함한 검색어는 입력할 수 없습니다.")
        words = keyword.split()
        found = []
        for address in ADDRESSES:
            haystack = f"{address['roadAddrPart1']} {address['jibunAddr']}"
            if all(word in haystack for word in words):
                row = {k: v for k, v in address.items() if k not in ("lat", "lon")}
                row["roadAddr"] = address["roadAddrPart1"] + address["roadAddrPart2"]
                found.append(row)
        per_page = int(query.get("countPerPage") or 10)
        return _answer(juso=found[:per_page])

    def _coordinates(self, query: dict[str, str]) -> Response:
        if query.get("confmKey") != self.coord_key:
            return _answer("E0001", "승인되지 않은 KEY 입니다.")
        keys = ("admCd", "rnMgtSn", "udrtYn", "buldMnnm", "buldSlno")
        if not all(query.get(k) for k in keys):
            return _answer("E0005", "필수 입력값이 누락되었습니다.")
        for address in ADDRESSES:
            if all(address[k] == query[k] for k in keys):
                x, y = utmk(address["lat"], address["lon"])
                row = {k: address[k] for k in keys}
                row.update({"entX": f"{x:.6f}", "entY": f"{y:.6f}", "bdNm": address["bdNm"]})
                return _answer(juso=[row])
        return _answer(juso=[])


@contextmanager
def running() -> Iterator[FakeJuso]:
    fake = FakeJuso()
    with serve(fake) as base_url:
        fake.base_url = base_url
        yield fake
