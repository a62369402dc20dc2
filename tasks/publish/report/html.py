"""The report: one self-contained HTML file (inline CSS and SVG; no script, nothing fetched) with the digest's
figures and a chart per metric: ARR over time with its monthly movement, active servers and users,
downloads by edition and OS, push notifications by region."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape
from pathlib import Path

from config.settings import report
from tasks.publish.report import message
from tasks.publish.report.charts import Series, bar_chart, line_chart
from tasks.publish.report.metrics import MOVEMENTS, Metrics, short

BLUE, ORANGE, GREEN, RED, PURPLE, BROWN, TEAL = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#17becf",
)
MOVEMENT_COLOURS = dict(zip(MOVEMENTS, (GREEN, TEAL, PURPLE, ORANGE, RED), strict=True))
WINDOW_COLOURS = {"daily": ORANGE, "7-day": BLUE}
DOWNLOAD_COLOURS = {"team": BLUE, "enterprise": ORANGE, "windows": GREEN, "mac": RED, "linux": PURPLE, "other": BROWN}
REGION_COLOURS = {"us": BLUE, "test": ORANGE, "de": GREEN}
SECTIONS = {
    "arr": "ARR",
    "active": "Active servers and users",
    "downloads": "Downloads",
    "push": "Push notifications",
}
STYLE = """
body { font-family: sans-serif; color: #222; margin: 0; background: #fff; }
main { max-width: 900px; margin: 0 auto; padding: 16px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; }
.meta, figcaption { color: #555; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; }
td, th { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: right; }
td:first-child, th:first-child { text-align: left; }
.stale { color: #a15c00; font-weight: bold; }
figure { margin: 16px 0; }
.legend { list-style: none; padding: 0; margin: 4px 0; font-size: 12px; }
.legend li { display: inline-block; margin-right: 14px; }
.legend span { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
"""


@dataclass(frozen=True)
class Chart:
    id: str  # the <svg> element's id
    section: str  # a key of SECTIONS
    title: str
    series: list[Series]
    svg: str


def report_path(day: date) -> Path:
    return Path(report().folder) / f"metrics-{day.isoformat()}.html"


def charts(metrics: Metrics) -> list[Chart]:
    def series(colours: dict[str, str], points: dict) -> list[Series]:
        return [Series(name, colour, points.get(name, [])) for name, colour in colours.items()]

    arr = [Series("Total ARR", BLUE, metrics.arr)]
    movement = [
        Series(kind, colour, [(m, kinds.get(kind, 0)) for m, kinds in metrics.movement.items()])
        for kind, colour in MOVEMENT_COLOURS.items()
    ]
    servers, users = series(WINDOW_COLOURS, metrics.servers), series(WINDOW_COLOURS, metrics.users)
    downloads, push = series(DOWNLOAD_COLOURS, metrics.downloads), series(REGION_COLOURS, metrics.push)
    return [
        Chart("chart-arr", "arr", "Total ARR per day", arr, line_chart("chart-arr", arr, money=True)),
        Chart(
            "chart-arr-movement",
            "arr",
            "ARR movement per month (the current month to date)",
            movement,
            bar_chart("chart-arr-movement", movement, money=True, monthly=True),
        ),
        Chart(
            "chart-active-servers",
            "active",
            "Active servers: checked in that day, and in the 7 days to it",
            servers,
            line_chart("chart-active-servers", servers),
        ),
        Chart(
            "chart-active-users",
            "active",
            "Active users of those servers (each server's highest daily count)",
            users,
            line_chart("chart-active-users", users),
        ),
        Chart(
            "chart-downloads",
            "downloads",
            "Downloads per day: server tarballs by edition, desktop apps by OS",
            downloads,
            bar_chart("chart-downloads", downloads),
        ),
        Chart("chart-push", "push", "Push notifications sent per day, by region", push, line_chart("chart-push", push)),
    ]


def page(metrics: Metrics) -> str:
    day = metrics.day
    body = [
        f"<h1>Metrics for {day:%a, %b} {day.day}, {day.year}</h1>",
        f'<p class="meta">From the warehouse marts, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Charts: the days to '
        f"{short(day)} (at most {report().history_days}).</p>",
        _figures(metrics),
    ]
    by_section: dict[str, list[Chart]] = {}
    for chart in charts(metrics):
        by_section.setdefault(chart.section, []).append(chart)
    for key, title in SECTIONS.items():
        body.append(f'<section id="{key}"><h2>{escape(title)}</h2>')
        if note := metrics.notes.get(key):
            body.append(f'<p class="stale">{escape(note)}</p>')
        for chart in by_section[key]:
            legend = "".join(
                f'<li><span style="background:{s.colour}"></span>{escape(s.name)}</li>' for s in chart.series
            )
            body.append(
                f'<figure><figcaption>{escape(chart.title)}</figcaption><ul class="legend">{legend}</ul>'
                f"{chart.svg}</figure>"
            )
        body.append("</section>")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Metrics {day.isoformat()}</title>'
        f"<style>{STYLE}</style></head><body><main>{''.join(body)}</main></body></html>\n"
    )


def _figures(metrics: Metrics) -> str:
    rows = [f"<tr><th>Metric</th><th>{short(metrics.day)}</th><th>Previous period</th><th>Change</th></tr>"]
    for f in metrics.figures:
        label, value, previous, change = (escape(c) for c in message.cells(f))
        stale = ' class="stale"' if f.note else ""
        rows.append(f"<tr><td>{label}</td><td{stale}>{value}</td><td>{previous}</td><td>{change}</td></tr>")
    return f"<table>{''.join(rows)}</table>"


def write(metrics: Metrics, path: Path) -> Path:
    """Written whole or not at all: a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(page(metrics), encoding="utf-8")
    os.replace(partial, path)
    return path
