"""Chart and map geometry for the statistics page, drawn server-side as inline SVG (no chart library, no CDN).

This module only computes coordinates; the templates (`portal/stats.html`) write the SVG elements, so every
label is escaped by Jinja, and each chart has a data table beside it for screen readers and for copying.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sotong.portal.stats import Cluster, Row
from sotong.web.templating import STATIC_DIR

GEO_FILE = STATIC_DIR / "geo" / "seoul-districts.geojson"

Formatter = Callable[[float], str]


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above `value` (a readable top for an axis)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        top = step * 10.0**exponent
        if top >= value:
            return top
    return 10.0 ** (exponent + 1)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    """One chart: its viewBox size, bars, axis labels and gridlines (y, label)."""

    width: float
    height: float
    bars: list[Bar]
    ticks: list[Tick]
    grid: list[Tick]
    label_x: float = 0.0  # horizontal bar charts: where the category labels end


def column_chart(rows: Sequence[Row], fmt: Formatter = lambda v: f"{v:,.0f}") -> Chart:
    """Vertical bars over time (the volume chart); at most ~8 date labels so they never overlap."""
    width, height, left, right, top, bottom = 720.0, 240.0, 48.0, 8.0, 12.0, 28.0
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_ceiling(max((r.value for r in rows), default=0))
    n = max(len(rows), 1)
    slot = plot_w / n
    bars = []
    for i, r in enumerate(rows):
        h = plot_h * r.value / peak
        bars.append(
            Bar(
                x=round(left + i * slot + slot * 0.1, 2),
                y=round(top + plot_h - h, 2),
                width=round(max(slot * 0.8, 0.5), 2),
                height=round(h, 2),
                label=r.label,
                value=fmt(r.value),
            )
        )
    every = max(1, math.ceil(n / 8))
    ticks = [
        Tick(x=round(left + i * slot + slot / 2, 2), y=height - 8, text=r.label[5:] if len(r.label) == 10 else r.label)
        for i, r in enumerate(rows)
        if i % every == 0
    ]
    grid = [Tick(x=left - 6, y=round(top + plot_h * (1 - f), 2), text=fmt(peak * f)) for f in (0, 0.5, 1)]
    return Chart(width=width, height=height, bars=bars, ticks=ticks, grid=grid, label_x=left)


def bar_chart(rows: Sequence[Row], fmt: Formatter = lambda v: f"{v:,.0f}", peak: float | None = None) -> Chart:
    """Horizontal bars with their labels on the left (channels, categories, on-time rate by department)."""
    row_h, label_w, value_w, width = 30.0, 200.0, 70.0, 720.0
    plot_w = width - label_w - value_w
    top = peak if peak is not None else nice_ceiling(max((r.value for r in rows), default=0))
    bars = []
    for i, r in enumerate(rows):
        w = plot_w * (r.value / top if top else 0)
        label = r.label if len(r.label) <= 18 else r.label[:17] + "…"
        bars.append(
            Bar(
                x=label_w,
                y=i * row_h + 5,
                width=round(max(w, 1.0), 2),
                height=row_h - 10,
                label=label,
                value=fmt(r.value),
            )
        )
    return Chart(width=width, height=max(len(rows), 1) * row_h, bars=bars, ticks=[], grid=[], label_x=label_w - 8)


# --------------------------------------------------------------------------------------------- map


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


def map_view(clusters: Sequence[Cluster], *, width: float = 720.0) -> MapView:
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
