"""The rehearsed days' clock: the CronJobs of a day in cron order, each at its first tick of that day, and the
wall clock a container is shown (clock_shift.c, preloaded), since the rehearsal cannot wait for days to pass."""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

SHIFT_SOURCE = Path(__file__).with_name("clock_shift.c")
SHIFT_MOUNT = "/opt/rehearsal-clock"  # where containers see the library (read-only)
_FIELDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NAMES = ({}, {}, {}, {m: i for i, m in enumerate(_MONTHS, 1)}, {d: i for i, d in enumerate(_DAYS)})


def _values(text: str, field: int) -> set[int]:
    """The values a cron field matches: `*`, `n`, `a-b` and names, each with an optional `/step`."""
    low, high = _FIELDS[field]
    found: set[int] = set()
    for item in text.lower().split(","):
        base, _, step = item.partition("/")
        if base == "*":
            first, last = low, high
        else:
            bounds = [int(v) if v.isdigit() else _NAMES[field][v] for v in base.split("-")]
            first, last = bounds[0], bounds[-1] if len(bounds) > 1 or not step else high
        found.update(range(first, last + 1, int(step or 1)))
    return {0 if field == 4 and v == 7 else v for v in found}  # Sunday is 0 and 7


def first_tick(cron: str, day: date) -> datetime | None:
    """The first time on ``day`` (UTC) that the five-field cron expression fires, None if it does not that day."""
    minute, hour, dom, month, dow = cron.split()
    if day.month not in _values(month, 3):
        return None
    days_of_month, days_of_week = _values(dom, 2), _values(dow, 4)
    weekday = (day.weekday() + 1) % 7
    if dom != "*" and dow != "*":  # cron's rule: either restricted field may match
        fires = day.day in days_of_month or weekday in days_of_week
    else:
        fires = day.day in days_of_month and weekday in days_of_week
    if not fires:
        return None
    h, m = min(_values(hour, 1)), min(_values(minute, 0))
    return datetime(day.year, day.month, day.day) + timedelta(hours=h, minutes=m)


def build_shift(folder: Path) -> Path:
    """Compile the clock library into ``folder`` (the machine's C compiler; the library stays out of the image)."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise RuntimeError("the rehearsal's clock needs a C compiler: apt-get install -y gcc")
    folder.mkdir(parents=True, exist_ok=True)
    library = folder / "clock_shift.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", library, SHIFT_SOURCE, "-ldl"], check=True)
    return library


def shifted_to(at: datetime, library: Path) -> tuple[dict[str, str], list[str]]:
    """The env and mount that start a container's wall clock at ``at`` (naive UTC); it runs on from there."""
    offset = round(at.replace(tzinfo=UTC).timestamp() - time.time())
    env = {"LD_PRELOAD": f"{SHIFT_MOUNT}/{library.name}", "REHEARSAL_CLOCK_OFFSET_SECONDS": str(offset)}
    return env, [f"{library.parent}:{SHIFT_MOUNT}:ro"]
