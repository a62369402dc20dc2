"""Marker targets on the embedded warehouse: explicit ids, one snapshot query per process, bulk_complete."""

from __future__ import annotations

from datetime import date, timedelta

import luigi

from targets import markers, warehouse
from targets.markers import MARKER_COLUMNS, marker_table
from tasks.extract.sources import LoadLicenses, LoadPushProxyLogs

DAYS = [date(2024, 1, 1) + timedelta(days=i) for i in range(1000)]


def write_markers(tasks: list[luigi.Task]) -> None:
    with warehouse.connect("test") as s:
        s.ensure_table(marker_table(), MARKER_COLUMNS)
        with s.transaction():
            for t in tasks:
                t.output().write(s, 1)
    markers.forget_snapshots()
    warehouse.STATS.clear()


def test_update_ids_are_explicit_and_versioned(env):
    assert LoadLicenses(date=date(2026, 11, 25)).update_id() == "raw.licenses.licenses/2026-11-25/v1"
    assert LoadPushProxyLogs(date=date(2026, 11, 25), region="de").update_id() == "raw.push_proxy.de_logs/2026-11-25/v1"


def test_complete_of_1000_tasks_issues_one_marker_query(env):
    write_markers([LoadLicenses(date=d) for d in DAYS[::2]])
    done = [LoadLicenses(date=d).complete() for d in DAYS]
    assert done == [i % 2 == 0 for i in range(1000)]
    assert warehouse.STATS["SELECT"] == 1


def test_bulk_complete_for_range_tools_uses_the_same_snapshot(env):
    write_markers([LoadLicenses(date=d) for d in DAYS[:10]])
    complete = LoadLicenses.bulk_complete([{"date": d} for d in DAYS[:20]])
    assert [p["date"] for p in complete] == DAYS[:10]
    assert warehouse.STATS["SELECT"] == 1


def test_luigi_schedules_1000_complete_tasks_with_one_query(env):
    class AllDays(luigi.WrapperTask):
        def requires(self):
            return [LoadLicenses(date=d) for d in DAYS]

    write_markers([LoadLicenses(date=d) for d in DAYS])
    assert luigi.build([AllDays()], local_scheduler=True)
    assert warehouse.STATS["SELECT"] == 1


def test_a_marker_written_by_another_process_is_seen_after_the_refresh_interval(env, settings):
    settings.set("warehouse", "marker_refresh_seconds", 0)
    task = LoadLicenses(date=DAYS[0])
    assert not task.complete()
    write_markers([task])  # stands in for another process: this one's snapshot is stale
    assert task.complete()


def test_delete_markers_makes_the_partition_missing_again(env):
    task = LoadLicenses(date=DAYS[0])
    write_markers([task])
    assert task.complete()
    with warehouse.connect("ops") as s, s.transaction():
        assert markers.delete_markers(s, [task.update_id()]) == 1
    assert not task.complete()
