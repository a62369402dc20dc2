"""The digest posted to Mattermost: a title, one summary line, and a Markdown table of every figure with the
previous period and the change. Mattermost Markdown: **bold** (Slack's *bold* is italic there)."""

from __future__ import annotations

from typing import Any

from tasks.publish.report.metrics import Figure, Metrics, short

TITLE = "Metrics digest"


def payload(metrics: Metrics, report: str) -> dict[str, Any]:
    """The incoming-webhook body; ``report`` is a Markdown link to the HTML report, or its path."""
    return {"text": text(metrics, report)}


def text(metrics: Metrics, report: str) -> str:
    day = metrics.day
    lines = [f"**{TITLE} for {day:%a, %b} {day.day}, {day.year}** (UTC)", summary(metrics)]
    if notes := sorted(set(metrics.notes.values())):
        lines.append(":warning: **Not shown:** " + "; ".join(notes))
    lines += ["", f"| Metric | {short(day)} | Previous period | Change |", "|:--|--:|--:|--:|"]
    lines += [row(f) for f in metrics.figures]
    lines += ["", f"Charts: {report}"]
    return "\n".join(lines)


def summary(metrics: Metrics) -> str:
    day_arr, month_arr = metrics.figures[0], metrics.figures[1]
    if day_arr.note:
        return f"Total ARR: {day_arr.note}"
    return (
        f"Total ARR **{number(day_arr.value, money=True)}**: {change(day_arr)} on the day, "
        f"{change(month_arr)} this month"
    )


def row(f: Figure) -> str:
    return "| " + " | ".join(cells(f)) + " |"


def cells(f: Figure) -> tuple[str, str, str, str]:
    """Metric, value (or why there is none), previous period, change."""
    if f.note:
        value = f.note
    else:
        value = number(f.value, money=f.money, signed=f.movement)
        if f.count:
            value += f" ({f.count} account{'s' * (f.count != 1)})"
    previous = "n/a" if f.previous is None else number(f.previous, money=f.money, signed=f.movement)
    return f.label, value, f"{previous} ({f.period})", "—" if f.note else change(f)


def change(f: Figure) -> str:
    """Difference from the previous period, with the relative change where it means something."""
    if f.value is None or f.previous is None:
        return "—"
    text = number(f.value - f.previous, money=f.money, signed=True)
    if f.previous and not f.movement:
        text += f" ({100 * (f.value - f.previous) / abs(f.previous):+.1f}%)"
    return text


def number(value: int | None, money: bool = False, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    sign = "-" if value < 0 else "+" if signed and value > 0 else ""
    return f"{sign}{'$' if money else ''}{abs(value):,}"
