"""The district map the public statistics and the staff case page both draw: the shipped outlines projected to
SVG (Web Mercator) and a circle per cluster of cases, computed here, written as SVG by the templates."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from xstatic.pkg import leaflet as xstatic_leaflet

from sotong.settings import Settings
from sotong.web.security import SECURITY_HEADERS
from sotong.web.templating import STATIC_DIR

GEO_FILE = STATIC_DIR / "geo" / "seoul-districts.geojson"
# Leaflet's dist files (leaflet.js, leaflet.css, images/) as the XStatic-Leaflet package installs them.
LEAFLET_DIR = Path(xstatic_leaflet.BASE_DIR)


def tile_csp(settings: Settings) -> str | None:
    """The page's CSP with the tile server's origin allowed for images (only when one is configured)."""
    if not settings.map_tile_url:
        return None
    parts = urlsplit(settings.map_tile_url.replace("{", "").replace("}", ""))
    origin = f"{parts.scheme}://{parts.netloc}"
    return SECURITY_HEADERS["Content-Security-Policy"].replace("img-src 'self' data:", f"img-src 'self' data: {origin}")


def _inside(lon: float, lat: float, ring: list[list[float]]) -> bool:
    """Ray casting: whether the point is inside the closed ring."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def district_at(lon: float, lat: float) -> tuple[str, str] | None:
    """The (Korean, English) name of the shipped district outline containing the point, or None outside them.

    The outlines are approximate (drawn for the overview map, not surveyed): good for naming the area of a pin
    and for suggesting an organisation, never for deciding competence on a boundary street.
    """
    for feature in _geo()["features"]:
        props = feature["properties"]
        if props.get("kind") == "river" or feature["geometry"]["type"] not in ("Polygon", "MultiPolygon"):
            continue
        polygons = (
            [feature["geometry"]["coordinates"]]
            if feature["geometry"]["type"] == "Polygon"
            else feature["geometry"]["coordinates"]
        )
        for polygon in polygons:
            if polygon and _inside(lon, lat, polygon[0]) and not any(_inside(lon, lat, hole) for hole in polygon[1:]):
                return str(props["name"]), str(props.get("name_en", ""))
    return None


def mercator(lon: float, lat: float) -> tuple[float, float]:
    """Web Mercator in units of the world width (so tiles, if configured, line up with the outlines)."""
    x = (lon + 180.0) / 360.0
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2
    return x, y


@dataclass(frozen=True)
class District:
    name: str
    name_en: str
    path: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Dot:
    cx: float
    cy: float
    r: float
    count: int
    latitude: float
    longitude: float


@dataclass(frozen=True)
class MapView:
    """The base layer and the clusters in SVG units; `bounds` is (west, south, east, north) in degrees."""

    width: float
    height: float
    districts: list[District]
    river: str
    dots: list[Dot]
    outside: int  # cases located beyond the drawn area
    bounds: tuple[float, float, float, float]
    origin: tuple[float, float]  # mercator (x, y) of the top-left corner
    scale: float  # SVG units per mercator unit


@lru_cache(maxsize=1)
def _geo() -> dict[str, Any]:
    with Path(GEO_FILE).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def geo_bounds() -> tuple[float, float, float, float]:
    """The (west, south, east, north) extent of the shipped district outlines."""
    xs: list[float] = []
    ys: list[float] = []
    for feature in _geo()["features"]:
        for ring in _rings(feature["geometry"]):
            xs += [p[0] for p in ring]
            ys += [p[1] for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    if geometry["type"] == "LineString":
        return [geometry["coordinates"]]
    return []


class Located(Protocol):
    """A cluster of located cases (portal/stats.py `Cluster`): how many, and where."""

    @property
    def count(self) -> int: ...
    @property
    def latitude(self) -> float: ...
    @property
    def longitude(self) -> float: ...


def map_view(clusters: Sequence[Located], *, width: float = 720.0) -> MapView:
    """The district outlines projected into an SVG of `width`, with a circle per cluster on top."""
    west, south, east, north = geo_bounds()
    pad = 0.01
    west, south, east, north = west - pad, south - pad, east + pad, north + pad
    x0, y0 = mercator(west, north)
    x1, y1 = mercator(east, south)
    scale = width / (x1 - x0)
    height = round((y1 - y0) * scale, 2)

    def project(lon: float, lat: float) -> tuple[float, float]:
        x, y = mercator(lon, lat)
        return round((x - x0) * scale, 1), round((y - y0) * scale, 1)

    def path(rings: list[list[list[float]]], close: bool = True) -> str:
        parts = []
        for ring in rings:
            points = [project(p[0], p[1]) for p in ring]
            parts.append("M" + " L".join(f"{x},{y}" for x, y in points) + (" Z" if close else ""))
        return " ".join(parts)

    districts: list[District] = []
    river = ""
    for feature in _geo()["features"]:
        props = feature["properties"]
        rings = _rings(feature["geometry"])
        if props.get("kind") == "river":
            river = path(rings, close=False)
            continue
        lx, ly = project(*props["label"])
        districts.append(District(props["name"], props.get("name_en", ""), path(rings), lx, ly))

    dots: list[Dot] = []
    outside = 0
    biggest = max((c.count for c in clusters), default=1)
    for c in clusters:
        if not (west <= c.longitude <= east and south <= c.latitude <= north):
            outside += c.count
            continue
        cx, cy = project(c.longitude, c.latitude)
        r = round(4 + 16 * math.sqrt(c.count / biggest), 1)
        dots.append(Dot(cx=cx, cy=cy, r=r, count=c.count, latitude=c.latitude, longitude=c.longitude))
    dots.sort(key=lambda d: -d.r)  # big circles first so small ones stay clickable on top
    return MapView(
        width=width,
        height=height,
        districts=districts,
        river=river,
        dots=dots,
        outside=outside,
        bounds=(west, south, east, north),
        origin=(x0, y0),
        scale=scale,
    )
