"""Marker snapshots on the embedded warehouse: one snapshot query per process, however many tasks ask, and a
refresh for markers another process wrote."""

from __future__ import annotations

import luigi

from targets.warehouse.session import STATS
from tasks.extract.sources import LoadLicenses
from tests.conftest import THOUSAND_DAYS as DAYS
from tests.conftest import write_markers


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


def test_a_marker_written_by_another_process_is_seen_after_the_refresh_interval(env, settings):
    settings.set("warehouse", "marker_refresh_seconds", 0)
    task = LoadLicenses(date=DAYS[0])
    assert not task.complete()
    write_markers([task])  # stands in for another process: this one's snapshot is stale
    assert task.complete()
