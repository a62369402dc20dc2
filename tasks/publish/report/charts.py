"""Charts as inline SVG drawn here, in Python: no plotting library, no JavaScript, nothing fetched.

Two kinds: a line chart over days and a stacked bar chart (negative values stack downwards from zero).
Each is one ``<svg id=...>`` holding axes, grid and the series only: legends are HTML beside it (html.py),
so a series that has no data leaves no trace of its colour in the chart.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

WIDTH, HEIGHT = 860, 260
LEFT, RIGHT, TOP, BOTTOM = 76, 32, 14, 30
TEXT, AXIS, GRID = "#555555", "#8c8c8c", "#e6e6e6"
MARKED_POINTS = 45  # up to this many points a line also shows each point (one point is a dot, not a line)


@dataclass(frozen=True)
class Series:
    name: str
    colour: str  # a saturated colour, unlike the greys of axes and text
    points: Sequence[tuple[date, int]]


def line_chart(chart_id: str, series: Sequence[Series], money: bool = False) -> str:
    days = sorted({d for s in series for d, _ in s.points})
    if not days:
        return _empty(chart_id)
    values = [v for s in series for _, v in s.points]
    ticks = _ticks(min([0, *values]), max([0, *values]))
    span = max((days[-1] - days[0]).days, 1)

    def x(d: date) -> float:
        return LEFT + _plot_width() / 2 if len(days) == 1 else LEFT + _plot_width() * (d - days[0]).days / span

    body = [_grid(ticks, money), _x_labels([(x(d), _day(d)) for d in _spread(days)])]
    for s in series:
        points = [(x(d), _y(v, ticks)) for d, v in sorted(s.points)]
        if not points:
            continue
        path = " ".join(f"{'M' if i == 0 else 'L'}{px:.1f},{py:.1f}" for i, (px, py) in enumerate(points))
        dots = (
            "".join(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{s.colour}"/>' for px, py in points)
            if len(points) <= MARKED_POINTS
            else ""
        )
        body.append(
            f'<g data-series="{escape(s.name)}"><path d="{path}" fill="none" stroke="{s.colour}" '
            f'stroke-width="2.5" stroke-linejoin="round"/>{dots}</g>'
        )
    return _svg(chart_id, body)


def bar_chart(chart_id: str, series: Sequence[Series], money: bool = False, monthly: bool = False) -> str:
    slots = sorted({d for s in series for d, _ in s.points})
    if not any(v for s in series for _, v in s.points):
        return _empty(chart_id)
    up: dict[date, int] = defaultdict(int)
    down: dict[date, int] = defaultdict(int)
    for s in series:
        for d, v in s.points:
            (up if v > 0 else down)[d] += v
    ticks = _ticks(min([0, *down.values()]), max([0, *up.values()]))
    slot = _plot_width() / len(slots)
    width = max(1.0, slot * 0.7)
    label = _month if monthly else _day
    body = [_grid(ticks, money), _x_labels([(LEFT + slot * (slots.index(d) + 0.5), label(d)) for d in _spread(slots)])]
    top, bottom = {d: 0 for d in slots}, {d: 0 for d in slots}
    for s in series:
        bars = []
        for d, v in sorted(s.points):
            if not v:
                continue
            stack = top if v > 0 else bottom
            y0, y1 = _y(stack[d], ticks), _y(stack[d] + v, ticks)
            stack[d] += v
            left = LEFT + slot * slots.index(d) + (slot - width) / 2
            bars.append(
                f'<rect x="{left:.1f}" y="{min(y0, y1):.1f}" width="{width:.1f}" '
                f'height="{max(abs(y1 - y0), 1.0):.1f}" fill="{s.colour}"/>'
            )
        if bars:
            body.append(f'<g data-series="{escape(s.name)}">{"".join(bars)}</g>')
    if ticks[0] < 0:
        body.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_y(0, ticks):.1f}" y2="{_y(0, ticks):.1f}" stroke="{AXIS}"/>'
        )
    return _svg(chart_id, body)


def _svg(chart_id: str, body: list[str]) -> str:
    return (
        f'<svg id="{escape(chart_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">'
        + "".join(body)
        + "</svg>"
    )


def _empty(chart_id: str) -> str:
    return _svg(
        chart_id,
        [f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="{TEXT}" font-size="14">No data</text>'],
    )


def _plot_width() -> float:
    return WIDTH - LEFT - RIGHT


def _y(value: float, ticks: list[float]) -> float:
    return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * (value - ticks[0]) / (ticks[-1] - ticks[0])


def _ticks(low: float, high: float) -> list[float]:
    """Round gridline values (steps of 1, 2 or 5 times a power of ten) covering [low, high]."""
    if high <= low:
        high = low + 1
    raw = (high - low) / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first, last = math.floor(low / step), math.ceil(high / step)
    return [i * step for i in range(first, last + 1)]


def _grid(ticks: list[float], money: bool) -> str:
    lines = []
    for t in ticks:
        y = _y(t, ticks)
        lines.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{TEXT}">{_compact(t, money)}</text>'
        )
    lines.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="{AXIS}"/>')
    return "".join(lines)


def _x_labels(labels: list[tuple[float, str]]) -> str:
    return "".join(
        f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" fill="{TEXT}">{escape(text)}</text>'
        for x, text in labels
    )


def _spread(items: list[date], most: int = 8) -> list[date]:
    """Every k-th item, k chosen so there are at most ``most``: evenly spaced labels."""
    return items[:: math.ceil(len(items) / most)]


def _compact(value: float, money: bool) -> str:
    sign, value = ("-" if value < 0 else ""), abs(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            text = f"{value / size:.2f}".rstrip("0").rstrip(".") + suffix
            break
    else:
        text = f"{value:g}"
    return f"{sign}{'$' if money else ''}{text}"


def _day(d: date) -> str:
    return f"{d:%b} {d.day}"


def _month(d: date) -> str:
    return f"{d:%b %Y}"
