"""What each CronJob run did, from its exit code, its log's Luigi execution summary and its cgroup, as a table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rehearsal.pods import Outcome

# Luigi's execution summary: "* 3 ran successfully:", "* 1 complete ones were encountered:", "* 2 failed:", ...
_SUMMARY = re.compile(r"^\* (\d+) (ran successfully|complete ones were encountered|failed|were left pending)",
                      re.MULTILINE)  # fmt: skip
_KEYS = {"ran successfully": "run", "complete ones were encountered": "complete", "failed": "failed",
         "were left pending": "pending"}  # fmt: skip


def task_counts(log: Path) -> dict[str, int]:
    """Tasks run, found complete, failed and left pending, from the last execution summary of the log."""
    text = log.read_text(errors="replace")
    # the summary is between two such lines: take the text after the last but one
    marker = "===== Luigi Execution Summary ====="
    summary = text[text.rfind(marker, 0, text.rfind(marker)) :]
    counts = dict.fromkeys(_KEYS.values(), 0)
    for number, kind in _SUMMARY.findall(summary):
        counts[_KEYS[kind]] += int(number)
    return counts


@dataclass
class Run:
    rehearsed: str  # e.g. "day 1", "day 1 again"
    cronjob: str
    at: datetime  # the cron time the container's clock showed
    outcome: Outcome

    @property
    def counts(self) -> dict[str, int]:
        return task_counts(self.outcome.log)


def _mib(value: int | None) -> str:
    return "?" if value is None else f"{value / 2**20:.0f}"


def table(runs: list[Run]) -> str:
    header = (
        "pass",
        "CronJob",
        "cron time",
        "exit",
        "seconds",
        "run",
        "complete",
        "failed",
        "pending",
        "peak/limit MiB",
    )
    rows = [header]
    for r in runs:
        c, o = r.counts, r.outcome
        rows.append((r.rehearsed, r.cronjob, f"{r.at:%Y-%m-%d %H:%M}", str(o.exit_code), f"{o.seconds:.0f}",
                     str(c["run"]), str(c["complete"]), str(c["failed"]), str(c["pending"]),
                     f"{_mib(o.peak_bytes)}/{_mib(o.limit_bytes)}"))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i < 3 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths,
                                                                                                   strict=True)))
             for row in rows]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
