"""Ops commands on the embedded warehouse: status (dry run), invalidate (with downstream), backfill."""

from __future__ import annotations

import gzip
import io
from datetime import date, timedelta

import luigi

from devdata.generate import generate
from devdata.writers import write_files
from ops import commands
from ops.__main__ import main
from targets.markers.snapshots import SNAPSHOTS
from targets.warehouse.connect import connect
from targets.warehouse.session import STATS
from tasks.base import WarehouseTask
from tasks.extract.replication import ReplicateOrgmTable
from tasks.extract.sources import LoadLicenses, LoadSecurityCheckLogs
from tasks.publish.scripts import RunPostgresScript
from tests.conftest import SLOT, build, live_rows, pg_query, replicated, wh

DAY = date.today() - timedelta(days=6)


def land(env, days: int = 3) -> None:
    write_files(generate(DAY, days, 20, seed=4).files, str(env / "landing"))


def test_status_lists_what_would_run(env):
    land(env, days=2)
    assert luigi.build([LoadLicenses(date=DAY)], local_scheduler=True)
    SNAPSHOTS.clear()
    STATS.clear()
    out = io.StringIO()
    pending = commands.status(commands.instances("LoadLicenses", DAY, DAY + timedelta(days=2), {}), out=out)
    text = out.getvalue()
    assert pending == 1  # day 2 has files and no marker; day 3 has no files: waiting, not runnable
    assert f"LoadLicenses(date={DAY}): complete" in text
    assert f"LoadLicenses(date={DAY + timedelta(days=1)}): missing" in text
    assert f"LoadLicenses(date={DAY + timedelta(days=2)}): blocked: waits for data upstream" in text
    assert "WAITING for data" in text and "1 task(s) would run" in text
    assert STATS["SELECT"] == 1  # one marker snapshot for the whole dry run


def test_status_shows_a_day_that_failed_its_check_as_failed(env, settings):
    settings.set("loading", "max_reject_share", 0.3)
    land(env)
    bad = DAY + timedelta(days=1)
    location = "ESECCHECKONE01"  # a file of lines missing most fields: far over the threshold
    garbage = gzip.compress(b"#Version: 1.0\n#Fields: date time\n" + b"2026-01-01\t00:00:00\n" * 200)
    (env / "landing" / "diagnostics" / location / f"{location}.{bad}-23.GARBAGE.gz").write_bytes(garbage)
    tasks = commands.instances("LoadSecurityCheckLogs", DAY, DAY + timedelta(days=2), {})
    assert not luigi.build(tasks, local_scheduler=True)

    SNAPSHOTS.clear()
    out = io.StringIO()
    assert commands.status(tasks, out=out) == 1
    text = out.getvalue()
    assert f"LoadSecurityCheckLogs(date={DAY}): complete" in text
    with connect("t") as session:
        rejected = session.execute("SELECT count(*) FROM raw.pipeline.rejects WHERE file LIKE ?", (f"%.{bad}-%",))
    assert rejected[0][0] > 200  # the garbage file's lines and the day's malformed ones
    assert f"LoadSecurityCheckLogs(date={bad}): FAILED: its check at " in text
    assert f"rejected {rejected[0][0]} lines (see raw.pipeline.rejects); not loaded, so no mart reads it" in text

    settings.set("loading", "max_reject_share", 0.99)  # accepted as it is: the next run loads it
    assert luigi.build(tasks, local_scheduler=True)
    SNAPSHOTS.clear()
    out = io.StringIO()
    assert commands.status(tasks, out=out) == 0
    assert "FAILED" not in out.getvalue()
    assert tasks[1].failure_marker().marker() is None


def test_invalidate_asks_then_deletes_exactly_the_range(env, monkeypatch, settings):
    settings.set("loading", "max_reject_share", 0.3)
    land(env)
    tasks = [LoadSecurityCheckLogs(date=DAY + timedelta(days=i)) for i in range(3)]
    assert luigi.build(tasks, local_scheduler=True)
    monkeypatch.setattr("builtins.input", lambda _: "n")
    assert commands.invalidate(tasks[1:2], out=io.StringIO()) == 0
    SNAPSHOTS.clear()
    assert all(t.complete() for t in tasks)
    rows = connect("t").execute("SELECT count(*) FROM raw.diagnostics.log_entries")[0][0]

    main(["invalidate", "LoadSecurityCheckLogs", "--start", str(DAY + timedelta(days=1)),
          "--end", str(DAY + timedelta(days=1)), "--yes"])  # fmt: skip
    SNAPSHOTS.clear()
    assert [t.complete() for t in tasks] == [True, False, True]
    assert luigi.build(tasks, local_scheduler=True)
    SNAPSHOTS.clear()
    assert all(t.complete() for t in tasks)
    with connect("t") as s:
        assert s.execute("SELECT count(*) FROM raw.diagnostics.log_entries")[0][0] == rows


class SummariseLicenses(WarehouseTask):
    """Stands in for a transformation that reads a day's licenses."""

    date = luigi.DateParameter()
    target_table = "raw.test.license_summary"

    def partition(self) -> str:
        return self.date.isoformat()

    def requires(self) -> luigi.Task:
        return LoadLicenses(date=self.date)

    def work(self, session) -> int:
        return 0


def test_invalidate_downstream_takes_the_dependents_too(env):
    land(env, days=1)
    root = SummariseLicenses(date=DAY)
    assert luigi.build([root], local_scheduler=True)
    assert commands.downstream_of([LoadLicenses(date=DAY)], [root]) == [root]
    assert commands.downstream_of([root], [root]) == []
    main(["invalidate", "LoadLicenses", "--start", str(DAY), "--end", str(DAY), "--downstream",
          "--root", "SummariseLicenses", "--yes"])  # fmt: skip
    SNAPSHOTS.clear()
    assert not LoadLicenses(date=DAY).complete() and not root.complete()


def test_backfill_runs_each_day_with_a_progress_bar(env, capsys):
    land(env)
    assert main(["backfill", "LoadLicenses", "--start", str(DAY), "--end", str(DAY + timedelta(days=2))]) == 0
    err = capsys.readouterr().err
    assert "3/3" in err and "#" * 40 in err
    SNAPSHOTS.clear()
    assert all(LoadLicenses(date=DAY + timedelta(days=i)).complete() for i in range(3))


def test_backfill_exits_as_python_m_tasks_does_naming_the_days_without_files(env, capsys):
    land(env, days=2)
    end = DAY + timedelta(days=3)
    assert main(["backfill", "LoadLicenses", "--start", str(DAY), "--end", str(end)]) == 20  # [retcode] missing_data
    err = capsys.readouterr().err
    assert "4/4" in err
    assert (f"2 of 4 waiting for data (exit 20): LoadLicenses(date={DAY + timedelta(days=2)}) ... "
            f"LoadLicenses(date={end})") in err  # fmt: skip


def test_invalidate_without_a_terminal_to_answer_from_changes_nothing(env, monkeypatch, capsys):
    land(env, days=1)
    assert luigi.build([LoadLicenses(date=DAY)], local_scheduler=True)

    def no_terminal(_: str) -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", no_terminal)
    assert main(["invalidate", "LoadLicenses", "--end", str(DAY)]) == 0
    assert f"raw.licenses.licenses/{DAY}/v1: built " in capsys.readouterr().out
    SNAPSHOTS.clear()
    assert LoadLicenses(date=DAY).complete()


def test_invalidating_a_replicated_table_makes_its_next_run_a_full_reload(db):
    def full_load_at() -> object:
        return wh("SELECT full_load_at FROM raw.pipeline.replication_state WHERE table_name = 'account'")[0][0]

    first, second = SLOT, SLOT + timedelta(minutes=30)
    assert build(ReplicateOrgmTable(table="account", slot=first))
    loaded = full_load_at()
    assert build(ReplicateOrgmTable(table="account", slot=second))
    assert full_load_at() == loaded  # an incremental run: the last full load stays
    slot = f"{second:%Y-%m-%dT%H%M}"
    assert main(["invalidate", "ReplicateOrgmTable", "--table", "account", "--slot", slot, "--yes"]) == 0
    SNAPSHOTS.clear()
    assert not ReplicateOrgmTable(table="account", slot=second).complete()
    assert build(ReplicateOrgmTable(table="account", slot=second))
    assert full_load_at() > loaded
    assert sorted(replicated("account")) == sorted(live_rows(db["dsn"], "account"))


def test_invalidating_a_postgres_script_reruns_it_in_its_slot(db, settings, tmp_path):
    (tmp_path / "touch.sql").write_text("CREATE TABLE IF NOT EXISTS staging.touched (n int);\n"
                                        "INSERT INTO staging.touched VALUES (1);\n")  # fmt: skip
    settings.set("postgres", "scripts_dir", tmp_path)
    script = RunPostgresScript(script="touch", slot=SLOT)
    assert build(script)
    assert main(["invalidate", "RunPostgresScript", "--script", "touch", "--slot", f"{SLOT:%Y-%m-%dT%H}", "--yes"]) == 0
    SNAPSHOTS.clear()
    assert not script.complete()
    assert build(script)
    assert pg_query(db["dsn"], "SELECT count(*) FROM staging.touched") == [(2,)]
