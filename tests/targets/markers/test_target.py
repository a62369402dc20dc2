"""The marker target: written and deleted on the embedded warehouse, and on Snowflake through the real connector
on fakesnow."""

from __future__ import annotations

from datetime import date

from targets.markers.snapshots import SNAPSHOTS
from targets.markers.stores import MARKER_COLUMNS, WAREHOUSE, marker_table
from targets.markers.target import delete_markers
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
