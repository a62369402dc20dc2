"""What the rehearsal checks of what it saw: a second run of a day that runs any task fails it."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path

from rehearsal.__main__ import Observations
from rehearsal.days import Days
from rehearsal.pods import Outcome
from rehearsal.results import Run

SUMMARY = """===== Luigi Execution Summary =====

Scheduled 3 tasks of which:
* 1 complete ones were encountered:
    - 1 DbtBuild(selection=nightly)
* {ran} ran successfully:
    - {ran} LoadSecurityCheckLogs(date=2026-12-04)

This progress looks :) because there were no failed tasks or missing dependencies

===== Luigi Execution Summary =====
"""


def run(folder: Path, rehearsed: str, ran: int) -> Run:
    log = folder / f"{rehearsed}.log"
    log.write_text(SUMMARY.format(ran=ran))
    return Run(rehearsed, "daily-loads", datetime(2026, 12, 5, 3), Outcome("pod", 0, 1.0, log, None, None))


def problems(runs: list[Run]) -> list[str]:
    marts = {"t": Counter(["(1,)"])}
    seen = Observations(runs, {"day 1": marts, "day 1 again": marts, "day 2": marts}, [], [], [], True)
    return seen.problems(Days(date(2026, 12, 4), 7))


def test_a_second_run_of_a_day_that_runs_a_task_fails_the_rehearsal(tmp_path: Path) -> None:
    first, second_day = run(tmp_path, "day 1", 2), run(tmp_path, "day 2", 2)
    idle = problems([first, run(tmp_path, "day 1 again", 0), second_day])
    busy = problems([first, run(tmp_path, "day 1 again", 2), second_day])
    assert [p for p in busy if p not in idle] == [
        "day 1 again daily-loads ran 2 task(s): the second run of a day has nothing to do"
    ]
