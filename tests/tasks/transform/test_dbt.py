"""dbt driven by Luigi, on the embedded warehouse with the generator's data: dependencies from the manifest,
one batched `dbt build`, make-style rebuilds of what is stale, failures naming the model."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import luigi
import pytest

from ops import commands
from targets.markers.snapshots import SNAPSHOTS
from targets.warehouse.connect import connect
from tasks.extract.catchup import CatchUpLoads
from tasks.extract.sources import LoadLicenses, LoadSecurityCheckLogs
from tasks.transform import dbt as dbt_tasks
from tasks.transform import manifest
from tests.conftest import build, sample_warehouse

END = date.today() - timedelta(days=3)
DAYS = 3


@pytest.fixture(scope="module")
def built(tmp_path_factory, pg_db):
    """Three settled days loaded, Salesforce replicated from a real PostgreSQL, and every dbt node built once,
    through Luigi; every dbt invocation recorded."""
    tmp = tmp_path_factory.mktemp("dbt-tasks")
    with sample_warehouse(tmp, pg_db, END - timedelta(days=DAYS - 1), DAYS, 30, seed=21) as ds:
        calls = []
        real = dbt_tasks.run_dbt
        spy = pytest.MonkeyPatch()
        spy.setattr(dbt_tasks, "run_dbt", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
        result = build(dbt_tasks.DbtBuild(selection="all", end=END, days=DAYS), detailed_summary=True)
        yield {"result": result, "calls": calls, "dataset": ds, "dir": tmp}
        spy.undo()


def rebuild() -> tuple[luigi.execution_summary.LuigiRunResult, list]:
    luigi.task_register.Register.clear_instance_cache()
    return build(dbt_tasks.DbtBuild(selection="all", end=END, days=DAYS), detailed_summary=True)


def test_every_node_is_built_in_one_dbt_invocation_after_its_loads(built):
    result = built["result"]
    assert result.status.name == "SUCCESS", result.summary_text
    assert len(built["calls"]) == 1 and built["calls"][0][0] == "build"
    graph = manifest.load()
    assert all(dbt_tasks.up_to_date(n.unique_id, END - timedelta(days=DAYS - 1), END) for n in graph.select("all"))
    with connect("t") as s:
        assert s.execute("SELECT count(*) FROM analytics.mattermost.server_security_details")[0][0] > 0
        assert s.execute("SELECT count(*) FROM analytics.finance.account_daily_arr")[0][0] > 0


def test_a_rerun_does_nothing(built):
    before = len(built["calls"])
    result = rebuild()
    assert result.status.name == "SUCCESS"
    assert len(built["calls"]) == before
    assert "ran successfully" not in result.summary_text


def test_dependencies_on_loads_come_from_the_manifest(built):
    graph = manifest.load()
    security = graph.nodes["model.bizops.security"]
    assert graph.source_relations(security.unique_id) == {"raw.diagnostics.log_entries"}
    node = dbt_tasks.DbtNode(node=security.unique_id, selection="nightly", end=END, days=DAYS)
    required = {(type(t).__name__, t.date) for t in node.requires()}
    assert {("LoadSecurityCheckLogs", END - timedelta(days=i)) for i in range(DAYS)} <= required
    assert {type(t).__name__ for t in node.requires()} == {"LoadSecurityCheckLogs"}
    frequent = dbt_tasks.DbtNode(node="model.bizops.account_daily_arr", selection="frequent", end=END, days=DAYS)
    assert {(type(t).__name__, t.table) for t in frequent.requires()} == {
        ("ReplicateOrgmTable", t) for t in ("account", "opportunity", "opportunitylineitem", "delete_history__c")
    }


def test_reloading_a_day_rebuilds_exactly_what_depends_on_it(built):
    commands.invalidate([LoadSecurityCheckLogs(date=END)], confirm=False)
    graph = manifest.load()
    untouched = dbt_tasks.node_marker(graph.nodes["model.bizops.account_daily_arr"]).marker()
    result = rebuild()
    assert result.status.name == "SUCCESS", result.summary_text
    assert len(built["calls"]) == 2
    SNAPSHOTS.clear()
    first = END - timedelta(days=DAYS - 1)
    assert dbt_tasks.up_to_date("model.bizops.server_fact", first, END)
    security = dbt_tasks.node_marker(graph.nodes["model.bizops.security"]).marker()
    load = LoadSecurityCheckLogs(date=END).output().marker()
    assert security.inserted >= load.inserted
    assert dbt_tasks.node_marker(graph.nodes["model.bizops.account_daily_arr"]).marker() == untouched


def test_dbt_test_runs_as_a_task_after_the_build(built):
    task = dbt_tasks.DbtTest(selection="all", end=END, days=DAYS)
    result = build(task, detailed_summary=True)
    assert result.status.name == "SUCCESS", result.summary_text
    SNAPSHOTS.clear()
    assert task.complete() and built["calls"][-1][0] == "test"


def test_stale_sources_fail_the_freshness_task_naming_them(built):
    # The sample Segment tables end days ago: past the sources' error threshold.
    with pytest.raises(dbt_tasks.DbtError, match=r"source\.bizops\.mattermost2\.server: error: last loaded .* h ago"):
        dbt_tasks.DbtSourceFreshness().run()
    assert not dbt_tasks.DbtSourceFreshness().complete()


def test_a_failing_model_fails_its_task_naming_the_model_and_error(built):
    with connect("t") as s:
        s.execute("ALTER TABLE raw.licenses.licenses RENAME TO licenses_gone")
    try:
        commands.invalidate([LoadLicenses(date=END)], confirm=False)
        node = dbt_tasks.DbtNode(node="model.bizops.licenses", selection="nightly", end=END, days=DAYS)
        with pytest.raises(dbt_tasks.DbtError, match=r"model\.bizops\.licenses: error: .*licenses"):
            node.run()
    finally:
        with connect("t") as s:
            s.execute("ALTER TABLE raw.licenses.licenses_gone RENAME TO licenses")
    assert isinstance(CatchUpLoads(end=END, days=DAYS), luigi.WrapperTask)
    assert Path(built["dir"] / "dbt" / "target" / "run_results.json").exists()


def test_invalidating_a_model_rebuilds_it_and_what_depends_on_it(built):
    graph = manifest.load()
    first = END - timedelta(days=DAYS - 1)
    node = dbt_tasks.DbtNode(node="model.bizops.server_security_details", selection="all", end=END, days=DAYS)
    assert commands.invalidate([node], confirm=False, out=io.StringIO()) == 1
    SNAPSHOTS.clear()
    assert not dbt_tasks.up_to_date("model.bizops.server_daily_details", first, END)  # downstream: stale too
    untouched = dbt_tasks.node_marker(graph.nodes["model.bizops.downloads"]).marker()
    before = len(built["calls"])
    assert rebuild().status.name == "SUCCESS"
    assert len(built["calls"]) == before + 1
    SNAPSHOTS.clear()
    assert dbt_tasks.up_to_date("model.bizops.server_fact", first, END)
    assert dbt_tasks.node_marker(graph.nodes["model.bizops.downloads"]).marker() == untouched
