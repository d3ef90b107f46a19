"""Address search for the report form through the 도로명주소 API (juso.go.kr), the government's own address index.

Two documented calls, both `GET` with `confmKey` and `resultType=json`:
- search (`addrLinkApi.do`): `keyword`, `currentPage`, `countPerPage` -> `results.common` (`errorCode` "0" when
  it worked, `errorMessage`, `totalCount`) and `results.juso[]` (`roadAddr`, `roadAddrPart1`, `jibunAddr`,
  `siNm`, `sggNm`, `emdNm`, `rn`, `admCd`, `rnMgtSn`, `udrtYn`, `buldMnnm`, `buldSlno`, ...);
- coordinates (`addrCoordApi.do`, its own approval key): `admCd`, `rnMgtSn`, `udrtYn`, `buldMnnm`, `buldSlno` ->
  `results.juso[0].entX/entY`, the building's entrance in UTM-K (EPSG:5179), turned into WGS84 here.
The API answers HTTP 200 for its own refusals (a bad key, a one-letter keyword): `errorCode` says which, and each
becomes a sentence in Korean for the citizen. Base URLs are settings, so a deployment behind a government
network's relay (or a test's fake) is only a URL away; without a key the search is simply not offered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import httpx

from sotong.channels.webform.errors import FormError
from sotong.settings import Settings

# The documented error codes, each a reason the citizen can act on (anything else: the service failed).
_REASONS = {
    "E0001": "report.address.error.key",  # 승인되지 않은 KEY
    "E0014": "report.address.error.key",  # 승인키 기간 만료
    "E0005": "report.address.error.empty",  # 검색어 없음
    "E0006": "report.address.error.vague",  # 주소를 상세히 입력
    "E0008": "report.address.error.short",  # 한 글자 검색어
    "E0009": "report.address.error.vague",  # 숫자와 특수문자만
    "E0010": "report.address.error.long",  # 검색어가 너무 김
    "E0011": "report.address.error.long",  # 숫자가 너무 김
    "E0012": "report.address.error.characters",  # 특수문자
    "E0013": "report.address.error.characters",  # SQL 예약어
    "E0015": "report.address.error.vague",  # 검색 범위 초과 (9,000건 이상)
}
RESULTS = 7  # as many as a phone shows without scrolling far
TIMEOUT = httpx.Timeout(5.0)  # the citizen is waiting on the form


@dataclass(frozen=True)
class Address:
    """One address the search found, with its coordinates when the coordinates API could give them."""

    road: str  # 도로명주소 without the unit (roadAddrPart1): 서울특별시 송파구 올림픽로 326
    jibun: str  # 지번주소
    district: str  # 시군구 (sggNm): 송파구
    city: str  # 시도 (siNm): 서울특별시
    area: str  # the public place name: 시군구 and road, no building number (송파구 올림픽로)
    latitude: float | None = None
    longitude: float | None = None


def enabled(settings: Settings) -> bool:
    """Whether the form offers address search (a search key is configured)."""
    return bool(settings.juso_search_key)


def _call(url: str, params: dict[str, str]) -> dict[str, Any]:
    try:
        response = httpx.get(url, params={**params, "resultType": "json"}, timeout=TIMEOUT)
    except httpx.HTTPError:
        raise FormError("report.address.error.unreachable", status=502) from None
    if response.status_code != 200:
        raise FormError("report.address.error.unreachable", status=502)
    try:
        results = response.json()["results"]
        code = str(results["common"]["errorCode"])
    except (ValueError, KeyError, TypeError):
        raise FormError("report.address.error.unreachable", status=502) from None
    if code != "0":
        reason = _REASONS.get(code)
        if reason is None:
            raise FormError("report.address.error.unreachable", status=502)
        status = 502 if reason == "report.address.error.key" else 422
        raise FormError(reason, status=status)
    data: dict[str, Any] = results
    return data


def search(settings: Settings, keyword: str) -> list[Address]:
    """The addresses matching `keyword` (a road, a building, a 동 and 번지), coordinates included when possible;
    FormError with the reason in Korean when the API refuses or cannot be reached."""
    keyword = " ".join(keyword.split())
    if not keyword:
        raise FormError("report.address.error.empty")
    if len(keyword) < 2:
        raise FormError("report.address.error.short")
    if not settings.juso_search_key:
        raise FormError("report.address.error.off", status=404)
    results = _call(
        settings.juso_search_url,
        {"confmKey": settings.juso_search_key, "keyword": keyword, "currentPage": "1", "countPerPage": str(RESULTS)},
    )
    found = []
    for item in (results.get("juso") or [])[:RESULTS]:
        if not isinstance(item, dict):
            continue
        road = str(item.get("roadAddrPart1") or item.get("roadAddr") or "").strip()
        district = str(item.get("sggNm") or "").strip()
        area = " ".join(p for p in (district, str(item.get("rn") or "").strip()) if p)
        lat, lon = _coordinates(settings, item)
        found.append(
            Address(
                road=road,
                jibun=str(item.get("jibunAddr") or "").strip(),
                district=district,
                city=str(item.get("siNm") or "").strip(),
                area=area,
                latitude=lat,
                longitude=lon,
            )
        )
    return found


def _coordinates(settings: Settings, item: dict[str, Any]) -> tuple[float | None, float | None]:
    """The entrance of the address's building in WGS84, or (None, None) without a coordinates key or a match.

    A failure here never hides the address itself: the citizen can still place the pin by hand.
    """
    if not settings.juso_coord_key:
        return None, None
    keys = ("admCd", "rnMgtSn", "udrtYn", "buldMnnm", "buldSlno")
    if not all(item.get(k) not in (None, "") for k in keys):
        return None, None
    try:
        results = _call(
            settings.juso_coord_url, {"confmKey": settings.juso_coord_key, **{k: str(item[k]) for k in keys}}
        )
        entrance = (results.get("juso") or [])[0]
        return utmk_to_wgs84(float(entrance["entX"]), float(entrance["entY"]))
    except (FormError, IndexError, KeyError, TypeError, ValueError):
        return None, None


# UTM-K (EPSG:5179): Transverse Mercator on GRS80, origin 38°N 127.5°E, scale 0.9996, false easting 1,000,000 m,
# false northing 2,000,000 m. The inverse below is the standard series (Snyder, Map Projections, 1987, p. 63):
# well under a metre of error across Korea, with no projection library to install.
_A = 6378137.0
_F = 1 / 298.257222101
_K0 = 0.9996
_LAT0 = math.radians(38.0)
_LON0 = math.radians(127.5)
_FE, _FN = 1_000_000.0, 2_000_000.0


def _meridian(phi: float, e2: float) -> float:
    e4, e6 = e2 * e2, e2 * e2 * e2
    return _A * (
        (1 - e2 / 4 - 3 * e4 / 64 - 5 * e6 / 256) * phi
        - (3 * e2 / 8 + 3 * e4 / 32 + 45 * e6 / 1024) * math.sin(2 * phi)
        + (15 * e4 / 256 + 45 * e6 / 1024) * math.sin(4 * phi)
        - (35 * e6 / 3072) * math.sin(6 * phi)
    )


def utmk_to_wgs84(x: float, y: float) -> tuple[float, float]:
    """(latitude, longitude) in degrees of a UTM-K easting and northing in metres."""
    e2 = _F * (2 - _F)
    ep2 = e2 / (1 - e2)
    m = _meridian(_LAT0, e2) + (y - _FN) / _K0
    mu = m / (_A * (1 - e2 / 4 - 3 * e2**2 / 64 - 5 * e2**3 / 256))
    e1 = (1 - math.sqrt(1 - e2)) / (1 + math.sqrt(1 - e2))
    phi1 = (
        mu
        + (3 * e1 / 2 - 27 * e1**3 / 32) * math.sin(2 * mu)
        + (21 * e1**2 / 16 - 55 * e1**4 / 32) * math.sin(4 * mu)
        + (151 * e1**3 / 96) * math.sin(6 * mu)
        + (1097 * e1**4 / 512) * math.sin(8 * mu)
    )
    sin1, cos1, tan1 = math.sin(phi1), math.cos(phi1), math.tan(phi1)
    c1 = ep2 * cos1**2
    t1 = tan1**2
    n1 = _A / math.sqrt(1 - e2 * sin1**2)
    r1 = _A * (1 - e2) / (1 - e2 * sin1**2) ** 1.5
    d = (x - _FE) / (n1 * _K0)
    lat = phi1 - (n1 * tan1 / r1) * (
        d**2 / 2
        - (5 + 3 * t1 + 10 * c1 - 4 * c1**2 - 9 * ep2) * d**4 / 24
        + (61 + 90 * t1 + 298 * c1 + 45 * t1**2 - 252 * ep2 - 3 * c1**2) * d**6 / 720
    )
    lon = (
        _LON0
        + (d - (1 + 2 * t1 + c1) * d**3 / 6 + (5 - 2 * c1 + 28 * t1 - 3 * c1**2 + 8 * ep2 + 24 * t1**2) * d**5 / 120)
        / cos1
    )
    return math.degrees(lat), math.degrees(lon)
