"""dbt driven by Luigi, on the embedded warehouse with the generator's data: dependencies from the manifest,
one batched `dbt build`, make-style rebuilds of what is stale, failures naming the model."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta

import luigi
import pytest

from devdata.generate import generate
from devdata.writers import write_files
from ops import commands
from targets.markers.snapshots import SNAPSHOTS
from targets.markers.target import utcnow
from targets.warehouse.connect import connect
from tasks.extract.sources import LoadLicenses, LoadSecurityCheckLogs
from tasks.transform import dbt as dbt_tasks
from tasks.transform import manifest
from tests.conftest import ROOT, build, missing, sample_warehouse

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
    node = dbt_tasks.DbtNode(node=security.unique_id, end=END, days=DAYS)
    required = {(type(t).__name__, t.date) for t in node.requires()}
    assert {("LoadSecurityCheckLogs", END - timedelta(days=i)) for i in range(DAYS)} <= required
    assert {type(t).__name__ for t in node.requires()} == {"LoadSecurityCheckLogs"}
    frequent = dbt_tasks.DbtNode(node="model.bizops.account_daily_arr", end=END, days=DAYS)
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
        marker = dbt_tasks.node_marker(manifest.load().nodes["model.bizops.licenses"])
        SNAPSHOTS.clear()
        before = marker.marker()
        node = dbt_tasks.DbtNode(node="model.bizops.licenses", end=END, days=DAYS)
        with pytest.raises(dbt_tasks.DbtError, match=r"model\.bizops\.licenses: error: .*licenses"):
            node.run()
    finally:
        with connect("t") as s:
            s.execute("ALTER TABLE raw.licenses.licenses_gone RENAME TO licenses")
    SNAPSHOTS.clear()
    assert marker.marker() == before, "a failed model writes no marker: the next run builds it again"
    assert not node.complete()
    results = json.loads((built["dir"] / "dbt" / "target" / "run_results.json").read_text())["results"]
    assert {r["unique_id"]: r["status"] for r in results}["model.bizops.licenses"] == "error"


def test_invalidating_a_model_rebuilds_it_and_what_depends_on_it(built):
    graph = manifest.load()
    first = END - timedelta(days=DAYS - 1)
    node = dbt_tasks.DbtNode(node="model.bizops.server_security_details", end=END, days=DAYS)
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


def test_a_read_only_project_builds_with_dbt_writing_where_the_settings_say(built, settings, tmp_path):
    """As in the image, whose project folder is read-only: a read-only bind mount here, in a mount namespace of the
    run's own, so dbt meets EROFS as a pod would. dbt writes its artifacts and log where [dbt] target_path and
    log_path say (production: the pod's /tmp volume), and the pipeline reads its results there."""
    unshare = shutil.which("unshare") or missing("unshare", "util-linux")
    node = dbt_tasks.DbtNode(node="model.bizops.licenses", end=END, days=DAYS)
    assert commands.invalidate([node], confirm=False, out=io.StringIO()) == 1
    settings.set("dbt", "target_path", tmp_path / "dbt-target")
    settings.set("dbt", "log_path", tmp_path / "dbt-logs")
    config = tmp_path / "luigi.cfg"
    with config.open("w") as out:
        luigi.configuration.get_config().write(out)
    unprivileged = ["--user", "--map-root-user"] if os.geteuid() else []
    read_only = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    run = subprocess.run(
        [unshare, *unprivileged, "--mount", "--propagation", "private", "sh", "-c", read_only, built["dir"] / "dbt",
         sys.executable, "-m", "tasks", "DbtNode", "--node", node.node, "--end", str(END),
         "--days", str(DAYS), "--local-scheduler"],
        cwd=ROOT, env={**os.environ, "LUIGI_CONFIG_PATH": str(config)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-4000:]
    results = json.loads((tmp_path / "dbt-target" / "run_results.json").read_text())["results"]
    assert {r["unique_id"]: r["status"] for r in results}.get(node.node) == "success"
    assert (tmp_path / "dbt-logs" / "dbt.log").exists()
    SNAPSHOTS.clear()
    assert node.complete()


def test_a_manifest_cut_short_by_a_killed_dbt_run_is_parsed_again(built, settings, tmp_path):
    """dbt rewrites manifest.json in place on every command: a run killed meanwhile leaves half a file, newer than
    the project. The next run parses the project again instead of failing on the JSON."""
    whole = (manifest.artifacts_dir() / "manifest.json").read_text()
    settings.set("dbt", "target_path", tmp_path / "dbt-target")
    (tmp_path / "dbt-target").mkdir()
    (tmp_path / "dbt-target" / "manifest.json").write_text(whole[: len(whole) // 2])
    manifest.load.cache_clear()
    try:
        nodes = json.loads(whole)["nodes"]
        assert set(manifest.load().nodes) == {u for u, n in nodes.items() if n["resource_type"] in manifest.BUILDABLE}
    finally:
        manifest.load.cache_clear()


def test_a_day_that_failed_its_check_never_reaches_the_marts(built):
    """The next day's security checks fail their reject check (a file of broken lines); then a good day is reloaded,
    so the models on the checks rebuild, picking up every day with raw rows newer than their last build."""
    failed = END + timedelta(days=1)
    files = [f for f in generate(failed, 1, 30, seed=22).files if f.key.startswith("diagnostics/")]
    write_files(files, str(built["dir"] / "landing"))
    location = "ESECCHECKONE01"
    garbage = gzip.compress(b"#Version: 1.0\n#Fields: date time\n" + b"2026-01-01\t00:00:00\n" * 200)
    (built["dir"] / "landing" / "diagnostics" / location / f"{location}.{failed}-23.GARBAGE.gz").write_bytes(garbage)
    assert build(LoadSecurityCheckLogs(date=failed), detailed_summary=True).status.name == "FAILED"

    commands.invalidate([LoadSecurityCheckLogs(date=END)], confirm=False, out=io.StringIO())
    before = len(built["calls"])
    assert rebuild().status.name == "SUCCESS"
    assert len(built["calls"]) == before + 1  # the models on the checks were rebuilt
    with connect("t") as s:
        days = {d for (d,) in s.execute("SELECT DISTINCT date FROM analytics.mattermost.server_security_details")}
        checks = s.execute("SELECT count(*) FROM analytics.events.security WHERE logdate = ?", (failed,))[0][0]
    assert END in days and failed not in days
    assert checks == 0


def test_the_checks_run_through_luigi_and_its_run_summary(built):
    """As the nightly CronJob runs them: Luigi's execution summary names each task by its parameters, the checks'
    hour slot included (a None there made the summary, and so the whole run, crash after the work was done)."""
    result = build(dbt_tasks.DbtSourceFreshness(), detailed_summary=True)
    assert result.status.name == "FAILED"  # the sample's Segment tables are stale (see above)
    assert f"DbtSourceFreshness(slot={utcnow():%Y-%m-%dT%H}" in result.summary_text


def test_a_model_on_tables_nobody_loads_is_rebuilt_after_midnight(built):
    """Segment writes its tables itself, so no load marker says they changed: what is built on them only is out of
    date from the first midnight after its build, and the next run rebuilds it."""
    graph = manifest.load()
    first = END - timedelta(days=DAYS - 1)
    uid = "model.bizops.nps_data"
    assert not [t for r in graph.source_relations(uid) for t in dbt_tasks.producers(r, first, END)], "Segment only"
    assert dbt_tasks.up_to_date(uid, first, END)
    chain, stack = set(), [uid]
    while stack:
        if (node := stack.pop()) in graph.nodes and node not in chain:
            chain.add(node)
            stack.extend(graph.nodes[node].parents)
    yesterday_night = datetime.combine(utcnow().date(), datetime.min.time()) - timedelta(seconds=1)
    with connect("t") as s, s.transaction():
        for node in chain:  # everything on its path built before midnight
            dbt_tasks.node_marker(graph.nodes[node]).write(s, None, at=yesterday_night)
    SNAPSHOTS.clear()
    assert not dbt_tasks.up_to_date(uid, first, END)
    assert rebuild().status.name == "SUCCESS"
    SNAPSHOTS.clear()
    assert dbt_tasks.up_to_date(uid, first, END)


def test_a_failure_line_carries_no_secret(monkeypatch):
    monkeypatch.setenv("SNOWFLAKE_TRANSFORM_PASSWORD", "hunter2-transform")
    results = {
        "model.bizops.licenses": ("error", "login failed for hunter2-transform"),
        "model.bizops.ok": ("success", ""),
    }
    assert dbt_tasks.failures(results) == ["model.bizops.licenses: error: login failed for ***"]
