"""What a marker row holds (the invocation, UTC time, the snapshot's copy), the settling instant, and what a process
keeps per marker table: one ensure, one snapshot per store, none inherited by a forked worker."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from targets.markers.snapshots import SNAPSHOTS
from targets.markers.stores import POSTGRES_MARKERS, marker_table
from targets.markers.target import MarkerTarget
from targets.warehouse.connect import connect
from tasks.extract.sources import LoadLicenses
from tests.conftest import THOUSAND_DAYS as DAYS
from tests.conftest import wh as query


def written(target: MarkerTarget, at: datetime | None = None) -> None:
    with connect("t") as s:
        target.prepare(s)
        with s.transaction():
            target.write(s, 5, at=at)


def test_a_marker_names_the_invocation_that_wrote_it(env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIZOPS_RUN_ID", "daily-loads-29400180-x2v9k")
    written(MarkerTarget("raw.t/2026-12-01/v1", "raw.t"))
    monkeypatch.delenv("BIZOPS_RUN_ID")
    written(MarkerTarget("raw.t/2026-12-02/v1", "raw.t"))
    assert query(f"SELECT update_id, run_id FROM {marker_table()} ORDER BY update_id") == [
        ("raw.t/2026-12-01/v1", "daily-loads-29400180-x2v9k"),
        ("raw.t/2026-12-02/v1", f"{os.uname().nodename}:{os.getpid()}"),
    ]


@pytest.fixture
def five_hours_behind_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "EST+05")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_marker_is_timed_in_utc_whatever_the_machines_timezone(env, five_hours_behind_utc) -> None:
    before = datetime.now(UTC).replace(tzinfo=None)
    written(MarkerTarget("raw.t/2026-12-01/v1", "raw.t"))
    after = datetime.now(UTC).replace(tzinfo=None)
    [(inserted,)] = query(f"SELECT inserted FROM {marker_table()}")
    assert before <= inserted <= after


def test_the_snapshot_holds_the_written_marker_as_the_table_has_it(env) -> None:
    target = MarkerTarget("raw.t/2026-12-01/v1", "raw.t")
    written(target)
    known = target.marker()
    SNAPSHOTS.clear()
    assert known == target.marker() and known.update_id == "raw.t/2026-12-01/v1"


def test_a_marker_written_at_the_settling_instant_is_final(env) -> None:
    settled = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
    target = MarkerTarget("raw.t/2026-12-01/v1", "raw.t", settled, changed=lambda: True)
    written(target, at=settled)
    assert target.exists()


def test_the_marker_table_is_ensured_once_per_process(env, monkeypatch: pytest.MonkeyPatch) -> None:
    target = MarkerTarget("raw.t/2026-12-01/v1", "raw.t")
    ensured: list[str] = []

    def prepare() -> None:
        with connect("t") as s:
            ensure = s.ensure_table
            monkeypatch.setattr(s, "ensure_table", lambda table, cols: ensured.append(table) or ensure(table, cols))
            target.prepare(s)

    prepare()
    prepare()
    assert ensured == [marker_table()], "ensured by this process: not again"
    SNAPSHOTS.clear()
    assert not target.exists()  # a read ensures the table
    prepare()
    assert ensured == [marker_table()], "read by this process: not ensured again"


def _complete(day: str) -> bool:
    return LoadLicenses(date=datetime.fromisoformat(day).date()).complete()


def test_a_forked_worker_reads_the_markers_afresh(env, settings) -> None:
    """Luigi forks a process per task (workers > 1): a marker written since the parent read its snapshot is seen."""
    settings.set("warehouse", "marker_refresh_seconds", 3600)
    task = LoadLicenses(date=DAYS[0])
    assert not task.complete()
    query(  # as another process writes it: behind this process's snapshot
        f"INSERT INTO {marker_table()} VALUES (?, ?, ?, ?, ?, ?)",
        (task.update_id(), "raw.licenses.licenses", datetime.now(UTC).replace(tzinfo=None), "other:1", 1, "v"),
    )
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(_complete, (DAYS[0].isoformat(),))
    assert not task.complete(), "the parent keeps its own snapshot until the refresh interval"


def test_each_store_has_its_own_snapshot(db) -> None:
    on_postgres = MarkerTarget("pg-x/2026-11-25T13/v1", "pg-x", store=POSTGRES_MARKERS)
    with POSTGRES_MARKERS.connect("test") as pg:
        POSTGRES_MARKERS.ensure(pg)
        with pg.transaction():
            on_postgres.write(pg, 7)
    assert on_postgres.exists()
    assert not MarkerTarget(on_postgres.update_id, "pg-x").exists(), "the warehouse's table has no such marker"


def test_a_marker_table_needs_database_schema_and_table(env, settings) -> None:
    settings.set("warehouse", "marker_table", "pipeline.table_updates")
    with pytest.raises(ValueError, match=r"'pipeline\.table_updates': expected 3 dotted parts"):
        marker_table()
