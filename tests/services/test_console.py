"""What `python -m tasks` prints (services/console.py), run as cron or a person runs it: a line per task with its
rows, Luigi's summary at the end, no warning that means nothing to a user; Luigi's scheduling and each file loaded
in the log file (or on the console with --verbose); a missing setting or secret in one line saying how to set it
here, with the exit code of [retcode]; a failure in one line pointing at its traceback in the log file."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from devdata.generate import generate
from devdata.writers import write_files
from tests.conftest import ROOT, wh

FIRST = date.today() - timedelta(days=6)
LAST = FIRST + timedelta(days=1)
SUMMARY = "===== Luigi Execution Summary ====="
PROGRESS = re.compile(r"^\d\d:\d\d:\d\d (done   |running|FAILED |cannot check) ")
NOISE = ("Informed scheduler", "UnconsumedParameterWarning", 'Parameter "param_name"', "XDG_RUNTIME_DIR")


class Run:
    def __init__(self, done: subprocess.CompletedProcess, log: Path):
        self.code, self.console = done.returncode, done.stdout
        self.log_path, self.log = log, log.read_text() if log.exists() else ""

    def lines(self) -> list[str]:
        return self.console.splitlines()


@pytest.fixture
def tasks(env: Path, tmp_path: Path):
    """`python -m tasks` on two landed days, with a log file: returns a function running it (``unset``: variables
    taken out of its environment)."""
    write_files(generate(FIRST, 2, 20, seed=4).files, str(env / "landing"))
    log = tmp_path / "logs" / "pipeline.log"
    cfg = tmp_path / "luigi.cfg"
    cfg.write_text(f"[warehouse]\nduckdb_dir = {env / 'warehouse'}\n[landing]\nurl = {env / 'landing'}\n"
                   f"[loading]\nmax_reject_share = 0.3\n[logs]\nfile = {log}\n")  # fmt: skip

    def run(*args: str, unset: tuple[str, ...] = ()) -> Run:
        environment = {k: v for k, v in os.environ.items() if k not in unset}
        done = subprocess.run([sys.executable, "-m", "tasks", *args, "--local-scheduler"], cwd=ROOT, text=True,
                              env={**environment, "LUIGI_CONFIG_PATH": str(cfg)}, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=300)  # fmt: skip
        return Run(done, log)

    return run


def test_a_run_shows_a_line_per_task_with_its_rows_then_luigis_summary_and_logs_the_rest(tasks):
    run = tasks("CatchUpLoads", "--end", str(LAST), "--days", "2", "--sources", '["LoadLicenses", "LoadReleaseLogs"]')
    assert run.code == 0, run.console
    summary = run.lines().index(SUMMARY)
    assert all(PROGRESS.match(line) for line in run.lines()[:summary]), run.console
    assert run.lines()[-1] == SUMMARY and "ran successfully" in run.console
    for table, family in (("raw.licenses.licenses", "LoadLicenses"), ("raw.releases.log_entries", "LoadReleaseLogs")):
        rows = wh(f"SELECT count(*) FROM {table}")[0][0]
        line = f" done    {family}(date={FIRST} +1 more) in "
        assert any(line in text and text.endswith(f": {table} {FIRST}..{LAST}: {rows} rows, 0 day(s) failed")
                   for text in run.lines()), run.console  # fmt: skip
    assert not [word for word in NOISE if word in run.console]
    assert "Informed scheduler that task" in run.log and "bizops.extract" in run.log and SUMMARY in run.log


def test_verbose_puts_luigis_scheduling_on_the_console_too(tasks):
    run = tasks("LoadLicenses", "--date", str(FIRST), "--verbose")
    assert run.code == 0, run.console
    assert "Informed scheduler that task" in run.console and "bizops.extract" in run.console
    assert " done    LoadLicenses(date=" in run.console


def test_a_setting_that_complete_needs_is_one_line_saying_how_to_set_it_and_exits_scheduling_error(tasks):
    run = tasks("LoadSecurityCheckLogs", "--date", str(FIRST), unset=("DIAGNOSTIC_LOCATION_ONE",))
    assert run.code == 35  # [retcode] scheduling_error
    said = [line for line in run.lines() if "DIAGNOSTIC_LOCATION_ONE" in line]
    assert len(said) == 1 and said[0].endswith("Locally: put DIAGNOSTIC_LOCATION_ONE=... in data/local.env (make demo "
                                               "writes one)"), run.console  # fmt: skip
    assert "Traceback" not in run.console + run.log


def test_a_secret_that_the_work_needs_is_one_line_saying_how_to_set_it_and_exits_task_failed(tasks):
    run = tasks("ReplicateOrgmTable", "--table", "account", unset=("HEROKU_POSTGRESQL_URL",))
    assert run.code == 30  # [retcode] task_failed
    said = [line for line in run.lines() if "HEROKU_POSTGRESQL_URL" in line]
    assert len(said) == 1 and " FAILED  ReplicateOrgmTable(table=delete_history__c) in " in said[0], run.console
    assert said[0].endswith("Locally: export HEROKU_POSTGRESQL_URL=... (secrets come only from the environment)")
    assert "Traceback" not in run.console + run.log


def test_a_failed_task_is_one_line_pointing_at_its_traceback_in_the_log_file(tasks, env):
    location = "ESECCHECKONE01"  # a file of lines missing most fields: far over the reject threshold
    garbage = gzip.compress(b"#Version: 1.0\n#Fields: date time\n" + b"2026-01-01\t00:00:00\n" * 200)
    (env / "landing" / "diagnostics" / location / f"{location}.{FIRST}-23.GARBAGE.gz").write_bytes(garbage)
    run = tasks("LoadSecurityCheckLogs", "--date", str(FIRST))
    assert run.code == 30
    failed = [line for line in run.lines() if " FAILED  " in line]
    assert len(failed) == 1 and "RejectThresholdError: raw.diagnostics.log_entries" in failed[0], run.console
    assert failed[0].endswith(f"(traceback in {run.log_path})")
    assert "Traceback" not in run.console and "Traceback (most recent call last)" in run.log
