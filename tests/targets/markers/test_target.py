"""The marker target: written and deleted on the embedded warehouse, and on Snowflake through the real connector
on fakesnow."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from targets.markers.snapshots import SNAPSHOTS
from targets.markers.stores import MARKER_COLUMNS, WAREHOUSE, marker_table
from targets.markers.target import MarkerTarget, delete_markers, utcnow
from targets.warehouse.connect import connect
from tasks.extract.sources import LoadLicenses
from tests.conftest import THOUSAND_DAYS as DAYS
from tests.conftest import write_markers


def test_delete_markers_makes_the_partition_missing_again(env):
    task = LoadLicenses(date=DAYS[0])
    write_markers([task])
    assert task.complete()
    with connect("ops") as s, s.transaction():
        assert delete_markers(s, [task.update_id()]) == 1
    assert not task.complete()


def test_markers_through_the_connector(snowflake):
    task = LoadLicenses(date=date(2026, 11, 20))
    assert not task.complete()
    with connect("t") as s:
        assert s.backend == "snowflake"
        s.ensure_table(marker_table(), MARKER_COLUMNS)
        with s.transaction():
            task.output().write(s, 42)
    SNAPSHOTS.clear()
    assert task.complete()
    assert SNAPSHOTS.of(WAREHOUSE).get(task.update_id()).row_count == 42
    with connect("ops") as s, s.transaction():
        assert delete_markers(s, [task.update_id()]) == 1
    SNAPSHOTS.clear()
    assert not task.complete()


def written(target: MarkerTarget, at: datetime | None = None) -> None:
    with connect("t") as s:
        target.prepare(s)
        with s.transaction():
            target.write(s, 1, at=at)


def test_a_provisional_marker_completes_while_nothing_new_arrived_asking_once_per_process_and_marker(env):
    asked, news = [], [False]
    target = MarkerTarget("raw.t/2026-12-01/v1", "raw.t", utcnow() + timedelta(hours=1),
                          changed=lambda: asked.append(1) or news[0])  # fmt: skip
    written(target)
    assert target.exists() and target.exists() and len(asked) == 1
    news[0] = True
    assert target.exists() and len(asked) == 1, "this process has asked already"
    SNAPSHOTS.clear()
    assert not target.exists() and len(asked) == 2, "a new process asks again: something new arrived"
    written(target)
    news[0] = False
    assert target.exists() and len(asked) == 3, "a rewritten marker is asked about again"


def test_a_provisional_marker_completes_nothing_once_its_partition_settled(env):
    settled = utcnow() - timedelta(minutes=1)
    asked = []
    target = MarkerTarget("raw.t/2026-12-01/v1", "raw.t", settled, changed=lambda: asked.append(1) or False)
    written(target, at=settled - timedelta(hours=1))
    assert not target.exists() and not asked, "one more run builds the day as it finally is"
    written(target)
    assert target.exists() and not asked, "a marker written after the partition settled is final"
    unknowing = MarkerTarget("raw.u/2026-12-01/v1", "raw.u", utcnow() + timedelta(hours=1))
    written(unknowing)
    assert not unknowing.exists(), "without a way to tell what changed, each run builds it again until it settles"


def test_delete_markers_removes_exactly_the_ones_named(env):
    tasks = [LoadLicenses(date=d) for d in DAYS[:3]]
    write_markers(tasks)
    assert all(t.complete() for t in tasks)
    with connect("ops") as s, s.transaction():
        assert delete_markers(s, []) == 0
        assert delete_markers(s, [tasks[0].update_id(), tasks[2].update_id(), "never/written/v1"]) == 2
    assert [t.complete() for t in tasks] == [False, True, False]  # this process's snapshot knows at once
    SNAPSHOTS.clear()
    assert [t.complete() for t in tasks] == [False, True, False]  # and so does the table
