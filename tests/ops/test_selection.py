"""What the arguments of `python -m ops` select (ops/selection.py): the dates reach the task - a window's last day,
the days of a daily family - and every kind of target is taken: a dbt model by name, unique id or dbt selector (a
real `dbt ls`), a replicated table, a Postgres script, a digest day. A family it cannot take, or a missing setting,
is one line saying what to give."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest

from devdata.generate import generate
from devdata.writers import write_files
from ops.__main__ import main
from ops.selection import instances
from tasks.extract.replication import ReplicateOrgmTable
from tasks.publish.scripts import RunPostgresScript
from tasks.transform import manifest
from tests.conftest import ROOT

DAY = date.today() - timedelta(days=6)


def test_end_reaches_a_window_and_start_is_its_first_day(env, capsys):
    write_files(generate(DAY, 3, 20, seed=4).files, str(env / "landing"))
    assert main(["status", "CatchUpLoads", "--end", str(DAY + timedelta(days=1))]) == 0
    listed = {date.fromisoformat(d) for d in re.findall(r"LoadLicenses\(date=([\d-]+)\)", capsys.readouterr().out)}
    assert max(listed) == DAY + timedelta(days=1)  # the day after has files too, but is after --end
    assert len(listed) == 7  # [loading] catchup_days
    [window] = instances("CatchUpLoads", DAY, DAY + timedelta(days=2))
    assert window.window() == (DAY, DAY + timedelta(days=2))
    [build] = instances("DbtBuild", None, DAY, ["--selection", "nightly"])
    assert (build.end, build.days, build.selection) == (DAY, 7, "nightly")


def test_a_daily_family_takes_each_day_of_the_range_or_the_one_day_given():
    assert [t.date for t in instances("PostMetricsDigest", None, DAY)] == [DAY]
    loads = instances("LoadPushProxyLogs", DAY, DAY + timedelta(days=1), ["--region", "de"])
    assert [(t.date, t.region) for t in loads] == [(DAY, "de"), (DAY + timedelta(days=1), "de")]


def test_a_replicated_table_and_a_postgres_script_take_the_current_slot_or_the_one_given():
    [table] = instances("ReplicateOrgmTable", None, None, ["--table", "account"])
    assert table == ReplicateOrgmTable(table="account")
    [table] = instances("ReplicateOrgmTable", None, None, ["--table", "account", "--slot", "2026-11-25T1330"])
    assert table.slot == datetime(2026, 11, 25, 13, 30)
    [script] = instances("RunPostgresScript", None, None, ["--script", "account_arr"])
    assert script == RunPostgresScript(script="account_arr")


@pytest.fixture
def dbt_project(env, settings, tmp_path) -> Iterator[manifest.Manifest]:
    shutil.copytree(ROOT / "dbt", tmp_path / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    settings.set("dbt", "project_dir", tmp_path / "dbt")
    manifest.load.cache_clear()
    yield manifest.load()
    manifest.load.cache_clear()


def test_a_dbt_model_by_name_or_unique_id_and_nodes_by_dbt_selector(dbt_project):
    uid = "model.bizops.account_daily_arr"
    for given in ("account_daily_arr", uid):
        [node] = instances("DbtNode", None, DAY, ["--node", given])
        assert (node.node, node.end) == (uid, DAY)
    children: dict[str, set[str]] = {}
    for child in dbt_project.nodes.values():
        for parent in child.parents:
            children.setdefault(parent, set()).add(child.unique_id)
    descendants, todo = set(), [uid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in descendants:
                descendants.add(child)
                todo.append(child)
    selected = {t.node for t in instances("DbtNode", None, DAY, ["--select", "account_daily_arr+"])}
    assert descendants and selected == {uid} | descendants


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["invalidate", "DbtNode"], "DbtNode needs --node <model name> or --select <dbt selector>"),
        (
            ["status", "ReplicateOrgmTable"],
            "ReplicateOrgmTable needs --table (The orgm table, e.g. opportunitylineitem.)",
        ),
        (
            ["status", "RunPostgresScript", "--end", "2026-11-01"],
            "RunPostgresScript takes no dates: its parameters are",
        ),
        (["status", "LoadLicenses"], "LoadLicenses is daily: give --start and --end (YYYY-MM-DD), or one of them"),
        (["status", "LoadLicenses", "--end", "2026-11-01", "--region", "de"], "LoadLicenses takes no --region"),
        (["backfill", "CatchUpLoads", "--start", "2026-11-01"], "give --end with --start"),
        (["status", "NoSuchTask"], "no task family 'NoSuchTask'; the pipeline's are ApplyPermissions, CatchUpLoads"),
    ],
)
def test_a_family_it_cannot_take_is_one_line_saying_what_to_give(argv, said, capsys):
    assert main(argv) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith(f"python -m ops {argv[0]}: ") and said in error[0], error


def test_a_missing_setting_is_one_line_saying_how_to_set_it_with_the_exit_code_of_a_scheduling_error(
    env, monkeypatch, capsys
):
    monkeypatch.delenv("DIAGNOSTIC_LOCATION_ONE")
    assert main(["status", "LoadSecurityCheckLogs", "--end", str(DAY)]) == 35  # [retcode] scheduling_error
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "needs environment variable(s) DIAGNOSTIC_LOCATION_ONE" in error[0], error
    assert error[0].endswith("Locally: put DIAGNOSTIC_LOCATION_ONE=... in data/local.env (make demo writes one)")
