"""Write src/sotong/web/static/geo/seoul-districts.geojson: coarse outlines of Seoul's 25 자치구.

Not survey data and not copied from any data set: a hand-written outline of the city (about 40 points, from
general knowledge of its extent) is divided among approximate district centres by nearest centre (a Voronoi
split), and the Han River is drawn as a hand-written line. Good enough to see which part of the city a
cluster of complaints is in; not for boundaries that matter. Run again after editing the points:

    .venv/bin/python scripts/build_seoul_geojson.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "sotong" / "web" / "static" / "geo" / "seoul-districts.geojson"
KX = math.cos(math.radians(37.55))  # metres per degree of longitude relative to latitude, at Seoul

# (name, English, latitude, longitude): approximate centres, written from memory of the map.
CENTRES = [
    ("종로구", "Jongno-gu", 37.594, 126.977),
    ("중구", "Jung-gu", 37.560, 126.996),
    ("용산구", "Yongsan-gu", 37.531, 126.980),
    ("성동구", "Seongdong-gu", 37.551, 127.041),
    ("광진구", "Gwangjin-gu", 37.546, 127.086),
    ("동대문구", "Dongdaemun-gu", 37.581, 127.055),
    ("중랑구", "Jungnang-gu", 37.598, 127.093),
    ("성북구", "Seongbuk-gu", 37.606, 127.018),
    ("강북구", "Gangbuk-gu", 37.643, 127.011),
    ("도봉구", "Dobong-gu", 37.669, 127.032),
    ("노원구", "Nowon-gu", 37.652, 127.075),
    ("은평구", "Eunpyeong-gu", 37.619, 126.927),
    ("서대문구", "Seodaemun-gu", 37.578, 126.939),
    ("마포구", "Mapo-gu", 37.559, 126.908),
    ("양천구", "Yangcheon-gu", 37.524, 126.856),
    ("강서구", "Gangseo-gu", 37.561, 126.823),
    ("구로구", "Guro-gu", 37.494, 126.856),
    ("금천구", "Geumcheon-gu", 37.460, 126.900),
    ("영등포구", "Yeongdeungpo-gu", 37.522, 126.910),
    ("동작구", "Dongjak-gu", 37.499, 126.952),
    ("관악구", "Gwanak-gu", 37.467, 126.945),
    ("서초구", "Seocho-gu", 37.473, 127.031),
    ("강남구", "Gangnam-gu", 37.497, 127.063),
    ("송파구", "Songpa-gu", 37.505, 127.115),
    ("강동구", "Gangdong-gu", 37.550, 127.147),
]

# The city's outline, clockwise from the west (longitude, latitude), hand-written and coarse.
OUTLINE = [
    (126.765, 37.585),
    (126.795, 37.606),
    (126.840, 37.600),
    (126.880, 37.588),
    (126.900, 37.602),
    (126.903, 37.640),
    (126.930, 37.667),
    (126.960, 37.655),
    (126.990, 37.690),
    (127.020, 37.715),
    (127.050, 37.700),
    (127.090, 37.695),
    (127.110, 37.640),
    (127.120, 37.600),
    (127.108, 37.575),
    (127.130, 37.560),
    (127.160, 37.575),
    (127.185, 37.555),
    (127.170, 37.530),
    (127.160, 37.500),
    (127.140, 37.470),
    (127.100, 37.455),
    (127.080, 37.462),
    (127.060, 37.440),
    (127.040, 37.430),
    (127.000, 37.430),
    (126.980, 37.442),
    (126.950, 37.440),
    (126.910, 37.430),
    (126.880, 37.442),
    (126.870, 37.470),
    (126.840, 37.480),
    (126.810, 37.490),
    (126.820, 37.512),
    (126.820, 37.530),
    (126.790, 37.540),
    (126.770, 37.552),
]

RIVER = [
    (126.790, 37.595),
    (126.840, 37.585),
    (126.875, 37.572),
    (126.905, 37.552),
    (126.930, 37.535),
    (126.960, 37.518),
    (126.985, 37.515),
    (127.010, 37.518),
    (127.035, 37.527),
    (127.060, 37.527),
    (127.085, 37.523),
    (127.105, 37.530),
    (127.120, 37.548),
    (127.150, 37.568),
    (127.185, 37.575),
]


def _clip(
    polygon: list[tuple[float, float]], a: tuple[float, float], b: tuple[float, float]
) -> list[tuple[float, float]]:
    """Keep the part of `polygon` nearer to centre `a` than to `b` (one half-plane, Sutherland-Hodgman)."""
    ax, ay = a[0] * KX, a[1]
    bx, by = b[0] * KX, b[1]
    nx, ny = bx - ax, by - ay
    mid = ((ax + bx) / 2, (ay + by) / 2)

    def side(p: tuple[float, float]) -> float:
        return (p[0] * KX - mid[0]) * nx + (p[1] - mid[1]) * ny

    out: list[tuple[float, float]] = []
    for i, cur in enumerate(polygon):
        prev = polygon[i - 1]
        sc, sp = side(cur), side(prev)
        if sc <= 0:
            if sp > 0:
                t = sp / (sp - sc)
                out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
            out.append(cur)
        elif sp <= 0:
            t = sp / (sp - sc)
            out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
    return out


def build() -> dict[str, object]:
    features: list[dict[str, object]] = []
    for name, name_en, lat, lon in CENTRES:
        cell = list(OUTLINE)
        for other in CENTRES:
            if other[0] != name:
                cell = _clip(cell, (lon, lat), (other[3], other[2]))
        ring = [[round(x, 4), round(y, 4)] for x, y in cell]
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "properties": {"name": name, "name_en": name_en, "label": [lon, lat]},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    features.append(
        {
            "type": "Feature",
            "properties": {"name": "한강", "name_en": "Han River", "kind": "river"},
            "geometry": {"type": "LineString", "coordinates": [[x, y] for x, y in RIVER]},
        }
    )
    return {
        "type": "FeatureCollection",
        "name": "seoul-districts-approximate",
        "description": "Approximate outlines of Seoul's 25 districts, generated by scripts/build_seoul_geojson.py "
        "from hand-written centres and outline (not survey data).",
        "features": features,
    }


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(), ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
