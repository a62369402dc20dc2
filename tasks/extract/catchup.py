"""The daily catch-up: every load over a window of days, missing days found in bulk and filled.

A cron run after an outage fills the gap by itself; a day whose files may still land late is loaded
again when one lands, and once more when it settles (see LoadDailyFiles.settles_at).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import luigi
from luigi.tools.range import RangeDaily

from tasks.extract.sources import PUSH_PROXY, LoadLicenses, LoadPushProxyLogs, LoadReleaseLogs, LoadSecurityCheckLogs
from tasks.params import PastDayParameter, WindowDaysParameter, window

# (task class, fixed parameters) of every daily load.
DAILY_LOADS: tuple[tuple[type[luigi.Task], dict[str, Any]], ...] = (
    (LoadSecurityCheckLogs, {}),
    (LoadReleaseLogs, {}),
    *((LoadPushProxyLogs, {"region": region}) for region in PUSH_PROXY),
    (LoadLicenses, {}),
)


class CatchUpLoads(luigi.WrapperTask):
    """All daily loads for the ``days`` days ending ``end`` (default: the window ending yesterday)."""

    end = PastDayParameter(default=None, description="Last day of the window (default: yesterday, UTC).")
    days = WindowDaysParameter(default=None, description="Window length (default: [loading] catchup_days).")
    sources = luigi.ListParameter(
        default=[], description="Restrict to these load task families (default: every daily load)."
    )

    def window(self) -> tuple[date, date]:
        """(first day, last day) of the window."""
        return window(self.end, self.days)

    def requires(self) -> Iterator[luigi.Task]:
        first, last = self.window()
        span = (last - first).days + 1
        for cls, params in DAILY_LOADS:
            if self.sources and cls.get_task_family() not in self.sources:
                continue
            yield RangeDaily(
                of=cls,
                of_params=params,
                param_name="date",
                start=first,
                stop=last + timedelta(days=1),
                days_back=(date.today() - first).days + 1,
                task_limit=span,
            )
