"""Daily catch-up over 365 days on a warehouse where everything is already loaded (nothing to do).

Prints wall time and warehouse queries of the pipeline (one marker snapshot per process) next to the same
graph with one completeness query per task, Luigi's default pattern (luigi.contrib.rdbms: a SELECT per
exists()), run in the same process on the same warehouse.

    PYTHONPATH=. .venv/bin/python bench/catchup.py [--days 365]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta

import luigi

from targets.markers.snapshots import SNAPSHOTS
from targets.markers.stores import MARKER_COLUMNS, marker_table
from targets.markers.target import MarkerTarget
from targets.warehouse.connect import connect
from targets.warehouse.session import STATS
from tasks.extract.catchup import DAILY_LOADS, CatchUpLoads


def point_query_exists(self: MarkerTarget) -> bool:
    """Luigi's default pattern: one query (and connection) per completeness check."""
    with connect("bench:exists") as s:
        found = s.execute(f"SELECT inserted FROM {marker_table()} WHERE update_id = ? LIMIT 1", (self.update_id,))
    return bool(found) and (self.settles_at is None or found[0][0] >= self.settles_at)


@contextlib.contextmanager
def per_task_queries() -> Iterator[None]:
    original = MarkerTarget.exists
    MarkerTarget.exists = point_query_exists
    try:
        yield
    finally:
        MarkerTarget.exists = original


def run(days: int, end: date) -> tuple[float, int, bool]:
    """One cron invocation: a fresh process's state (no cached task instances, no snapshot)."""
    luigi.task_register.Register.clear_instance_cache()
    SNAPSHOTS.clear()
    STATS.clear()
    started = time.perf_counter()
    ok = luigi.build([CatchUpLoads(end=end, days=days)], local_scheduler=True, log_level="WARNING")
    return time.perf_counter() - started, STATS["SELECT"], ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    config = luigi.configuration.get_config()
    config.set("warehouse", "duckdb_dir", tempfile.mkdtemp(prefix="bench-catchup-"))
    end = date.today() - timedelta(days=3)
    tasks = [cls(date=end - timedelta(days=i), **params) for cls, params in DAILY_LOADS for i in range(args.days)]
    with connect("bench:setup") as s:
        s.ensure_table(marker_table(), MARKER_COLUMNS)
        with s.transaction():
            for t in tasks:
                t.output().write(s, 0)
    print(f"{len(tasks)} load partitions already complete ({len(DAILY_LOADS)} sources x {args.days} days)")

    ours = run(args.days, end)
    with per_task_queries():
        naive = run(args.days, end)
    for name, (seconds, queries, ok) in (("pipeline (one snapshot)", ours), ("one query per task", naive)):
        print(f"{name:<26} {seconds:7.2f} s  {queries:6d} marker queries  {'ok' if ok else 'FAILED'}")
    print(f"speed-up x{naive[0] / ours[0]:.1f}; queries {ours[1]} vs {naive[1]} (target: < 3 s, <= 1 per marker table)")


if __name__ == "__main__":
    main()
