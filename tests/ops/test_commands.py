"""Ops commands on the embedded warehouse: status (dry run), invalidate (with downstream), backfill."""

from __future__ import annotations

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
from tasks.extract.sources import LoadLicenses, LoadSecurityCheckLogs

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
