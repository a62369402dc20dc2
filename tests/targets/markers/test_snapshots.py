"""Marker snapshots on the embedded warehouse: one snapshot query per process, however many tasks ask, and a
refresh for markers another process wrote."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import luigi

from targets.markers import snapshots
from targets.warehouse.session import STATS
from tasks.extract.sources import LoadLicenses
from tests.conftest import ROOT, write_markers
from tests.conftest import THOUSAND_DAYS as DAYS


def test_complete_of_1000_tasks_issues_one_marker_query(env):
    write_markers([LoadLicenses(date=d) for d in DAYS[::2]])
    done = [LoadLicenses(date=d).complete() for d in DAYS]
    assert done == [i % 2 == 0 for i in range(1000)]
    assert STATS["SELECT"] == 1


def test_luigi_schedules_1000_complete_tasks_with_one_query(env):
    class AllDays(luigi.WrapperTask):
        def requires(self):
            return [LoadLicenses(date=d) for d in DAYS]

    write_markers([LoadLicenses(date=d) for d in DAYS])
    assert luigi.build([AllDays()], local_scheduler=True)
    assert STATS["SELECT"] == 1


# Another process writes a marker through the production write path, on the same warehouse.
_WRITE_IN_ANOTHER_PROCESS = """
import sys
from datetime import date

import luigi

luigi.configuration.get_config().set("warehouse", "duckdb_dir", sys.argv[1])
from targets.markers.stores import MARKER_COLUMNS, marker_table
from targets.warehouse.connect import connect
from tasks.extract.sources import LoadLicenses

with connect("another process") as s:
    s.ensure_table(marker_table(), MARKER_COLUMNS)
    with s.transaction():
        LoadLicenses(date=date.fromisoformat(sys.argv[2])).output().write(s, 1)
"""


def test_a_marker_written_by_another_process_is_seen_after_the_refresh_interval(env, settings, monkeypatch):
    settings.set("warehouse", "marker_refresh_seconds", 60)
    now = [1000.0]  # this process's monotonic clock, moved by the test instead of waiting
    monkeypatch.setattr(snapshots, "time", SimpleNamespace(monotonic=lambda: now[0]))
    task = LoadLicenses(date=DAYS[0])
    assert not task.complete()  # the snapshot is read now

    subprocess.run(
        [sys.executable, "-c", _WRITE_IN_ANOTHER_PROCESS, str(env / "warehouse"), DAYS[0].isoformat()],
        cwd=ROOT, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    now[0] += 59
    assert not task.complete(), "within the refresh interval the snapshot is not read again"
    assert STATS["SELECT"] == 1
    now[0] += 2
    assert task.complete(), "past the refresh interval a miss reads the table again and finds the marker"
    assert STATS["SELECT"] == 2
