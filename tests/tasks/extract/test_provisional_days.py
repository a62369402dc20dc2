"""A day whose files may still land late (yesterday's CloudFront logs: provisional until [loading] late_arrival_hours
after it ends), loaded and built on by dbt, each run a new process as cron's are: a run that finds no new file in
the landing zone runs nothing, neither the load nor the dbt node reading it; a late file is loaded and rebuilds it."""

from __future__ import annotations

import luigi
import pytest

from targets.markers.snapshots import SNAPSHOTS, Marker
from tasks.extract.sources import LoadSecurityCheckLogs
from tasks.transform import dbt as dbt_tasks
from tasks.transform import manifest
from tests.conftest import build, sample_warehouse, wh
from tests.tasks.conftest import YESTERDAY, diagnostics, land, ok

NODE = "model.bizops.security"  # built on raw.diagnostics.log_entries only


@pytest.fixture
def landed(tmp_path, pg_db):
    """Yesterday's sample landed but its late files; those are returned."""
    with sample_warehouse(tmp_path, pg_db, YESTERDAY, 1, 30, seed=11) as ds:
        late = [f for f in diagnostics(ds) if f.late]
        assert late, "the generator marks late files"
        for f in late:
            (tmp_path / "landing" / f.key).unlink()
        yield tmp_path, late


def run() -> luigi.execution_summary.LuigiRunResult:
    """One cron run building the node over yesterday, in a fresh process's state."""
    luigi.task_register.Register.clear_instance_cache()
    return build(dbt_tasks.DbtNode(node=NODE, end=YESTERDAY, days=1), detailed_summary=True)


def markers() -> tuple[Marker, Marker]:
    """(the load's marker, the node's), as a new process reads them."""
    SNAPSHOTS.clear()
    node = dbt_tasks.node_marker(manifest.load().nodes[NODE]).marker()
    return LoadSecurityCheckLogs(date=YESTERDAY).output().marker(), node


def test_a_provisional_day_without_new_files_runs_nothing_and_a_late_file_rebuilds_what_reads_it(landed):
    folder, late = landed
    load = LoadSecurityCheckLogs(date=YESTERDAY)
    assert load.settles_at() > dbt_tasks.utcnow(), "yesterday has not settled"
    first = run()
    assert ok(first) and "ran successfully" in first.summary_text, first.summary_text
    built = markers()

    again = run()
    assert ok(again) and "ran successfully" not in again.summary_text, again.summary_text
    assert markers() == built, "nothing rewritten: what reads the day stays up to date"

    checks = wh("SELECT count(*) FROM analytics.events.security")[0][0]
    land(late, folder / "landing")
    late_run = run()
    assert ok(late_run), late_run.summary_text
    loaded, rebuilt = markers()
    assert loaded.inserted > built[0].inserted and loaded.row_count > built[0].row_count
    assert rebuilt.inserted >= loaded.inserted > built[1].inserted
    assert wh("SELECT count(*) FROM analytics.events.security")[0][0] > checks
