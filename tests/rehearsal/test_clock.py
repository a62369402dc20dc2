"""The rehearsal's clock: the first tick of each cron expression on a day, and the preloaded library that shows a
program another wall clock while its sleeps and timed waits stay exact."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from config.schedules import SCHEDULES
from rehearsal.clock import build_shift, first_tick, shifted_to
from tests.conftest import missing

SATURDAY = date(2026, 12, 5)


@pytest.mark.parametrize(("cron", "expected"), [
    ("*/30 * * * *", datetime(2026, 12, 5, 0, 0)),
    ("10,40 * * * *", datetime(2026, 12, 5, 0, 10)),
    ("30 8 * * *", datetime(2026, 12, 5, 8, 30)),
    ("5/15 2-4 * * *", datetime(2026, 12, 5, 2, 5)),
    ("0 7 * * 1-5", None),  # weekdays only
    ("0 7 * * sat", datetime(2026, 12, 5, 7, 0)),
    ("0 7 1 * 6", datetime(2026, 12, 5, 7, 0)),  # day of month or day of week, as cron has it
    ("0 7 1 * 1", None),
    ("0 0 * jan *", None),
    ("0 0 * * 7", None),  # Sunday as 7
])  # fmt: skip
def test_first_tick_of_the_day(cron: str, expected: datetime | None) -> None:
    assert first_tick(cron, SATURDAY) == expected


def test_every_schedule_fires_every_day() -> None:
    """A rehearsed day runs each CronJob at its first tick: every schedule of the table must have one daily."""
    for day in (SATURDAY + timedelta(days=i) for i in range(7)):
        assert all(first_tick(s.cron, day) is not None for s in SCHEDULES)


def test_a_shifted_program_sees_the_cron_time_and_sleeps_exactly(tmp_path: Path) -> None:
    try:
        library = build_shift(tmp_path / "clock")
    except RuntimeError as exc:
        missing("a C compiler", str(exc))
    at = datetime(2026, 12, 5, 7, 0)
    env, mounts = shifted_to(at, library)
    assert mounts == [f"{library.parent}:/opt/rehearsal-clock:ro"]
    env["LD_PRELOAD"] = str(library)  # on this machine rather than in a container
    program = ("import datetime, threading, time; start = time.monotonic(); time.sleep(0.3); "
               "threading.Event().wait(0.2); print(time.monotonic() - start); "
               "print(datetime.datetime.now(datetime.UTC).isoformat())")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", program], env={**os.environ, **env}, capture_output=True, text=True,
                         check=True, timeout=30).stdout.split()  # fmt: skip
    assert 0.5 <= float(out[0]) < 1.5, "sleeps and timed waits keep real time"
    seen = datetime.fromisoformat(out[1]).replace(tzinfo=None)
    assert at <= seen < at + timedelta(seconds=30)
    date_of_shell = subprocess.run(["date", "-u", "+%F"], env={**os.environ, **env}, capture_output=True, text=True,
                                   check=True).stdout.strip()  # fmt: skip
    assert date_of_shell == "2026-12-05" != datetime.now(UTC).date().isoformat()
