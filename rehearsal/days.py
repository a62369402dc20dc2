"""The two rehearsed days and their data: the sample generated over the CronJobs' window, landed as production
receives it. Before the first day's runs, everything up to day 1 but day 1's late files; before the second day's,
day 2's files and day 1's late files (day 2's own late files would come a day later, after the rehearsal).

Day 2 is yesterday, so the last runs happen on today's date, as the reference run does (the marts read the date).
Each day also has Salesforce activity (``salesforce_edits``), as production's does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import psycopg2

from config.settings import replication
from devdata.generate import Dataset
from devdata.model import LandingFile
from devdata.writers import write_duckdb

# CloudFront's and the licenses' keys name their day as YYYY-MM-DD, the ALB's as YYYY/MM/DD folders.
_DAY = re.compile(r"(?<!\d)(\d{4})[-/](\d{2})[-/](\d{2})(?!\d)")


def day_of(key: str) -> date:
    """The day a landed file describes, from its key."""
    found = _DAY.search(key)
    if found is None:
        raise ValueError(f"no day in the landing key {key!r}")
    return date(*map(int, found.groups()))


@dataclass(frozen=True)
class Days:
    day1: date
    window: int  # days a CronJob's run covers ([loading] catchup_days)

    @classmethod
    def ending_yesterday(cls, window: int) -> Days:
        return cls(datetime.now(UTC).date() - timedelta(days=2), window)

    @property
    def day2(self) -> date:
        return self.day1 + timedelta(days=1)

    @property
    def first(self) -> date:
        """The first day of data: day 1's window is full, so no day of it waits for files."""
        return self.day1 - timedelta(days=self.window - 1)

    @property
    def count(self) -> int:
        return (self.day2 - self.first).days + 1

    def landings(self, files: list[LandingFile]) -> tuple[list[LandingFile], list[LandingFile]]:
        """(what has landed before day 1's runs, what lands before day 2's)."""
        before_day1 = [f for f in files if day_of(f.key) < self.day1 or (day_of(f.key) == self.day1 and not f.late)]
        before_day2 = [f for f in files if (day_of(f.key) == self.day1 and f.late)
                       or (day_of(f.key) == self.day2 and not f.late)]  # fmt: skip
        return before_day1, before_day2


def salesforce_edits(dsn: str, day: date) -> None:
    """Salesforce's users edit records every day; the sample org is made once, some of its changes dated after the
    rehearsed days. Save the first live row of each replicated table again in the last minute of ``day``, or just
    after the newest change of its table: the day's activity, for the replication to copy and dbt's source freshness
    to see."""
    cfg = replication()
    con = psycopg2.connect(dsn)
    try:
        with con, con.cursor() as cur:
            for table in cfg.tables:
                name, stamp = f'{cfg.source_schema}."{table}"', cfg.replication_key
                newest = f"(SELECT max({stamp}) FROM {name}) + interval '1 second'"
                cur.execute(f"UPDATE {name} SET {stamp} = greatest({newest}, %s) WHERE {cfg.key} = "
                            f"(SELECT min({cfg.key}) FROM {name} WHERE NOT isdeleted)",
                            (datetime.combine(day, time(23, 59)),))  # fmt: skip
    finally:
        con.close()


def write_segment(dataset: Dataset, warehouse: Path) -> None:
    """Segment's tables, all days at once: Segment writes them into the warehouse itself, not through the pipeline."""
    warehouse.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute("ATTACH ? AS raw", [str(warehouse / "raw.duckdb")])
        write_duckdb(dataset.segment, con)
