"""Chart and map geometry for the statistics page, drawn server-side as inline SVG (no chart library, no CDN).

This module only computes coordinates; the templates (`portal/stats.html`) write the SVG elements, so every
label is escaped by Jinja, and each chart has a data table beside it for screen readers and for copying.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sotong.portal.stats import Row

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
