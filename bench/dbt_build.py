"""The Luigi-driven build of every dbt node against one plain `dbt build` of the same project and data.

Both run in this command on the same generated warehouse (loads and the Salesforce replication done first,
not timed): the Luigi run
from nothing built (markers removed, marts dropped), then `dbt build` alone. Prints both times and the
ratio (target: 1.15 or less), and Luigi's own time in its run (scheduling, completeness, markers: all but the
dbt process it waits for), which the machine's noise blurs less than the ratio.

    PYTHONPATH=. .venv/bin/python bench/dbt_build.py [--days 7] [--servers 500]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import luigi
import pgserver

import devdata
from devdata.generate import generate
from devdata.writers import write_duckdb, write_files, write_postgres
from targets.markers.snapshots import SNAPSHOTS
from targets.markers.stores import marker_table
from targets.warehouse.connect import connect
from tasks.extract.catchup import CatchUpLoads
from tasks.extract.replication import ReplicateOrgm
from tasks.transform import dbt as dbt_tasks
from tasks.transform import manifest

ROOT = Path(__file__).resolve().parents[1]


def reset_marts(dbdir: Path) -> None:
    """Nothing built: drop the analytics database and the dbt markers."""
    (dbdir / "analytics.duckdb").unlink(missing_ok=True)
    with connect("bench:reset") as s:
        s.execute(f"DELETE FROM {marker_table()} WHERE update_id LIKE 'analytics.%'")
    SNAPSHOTS.clear()
    luigi.task_register.Register.clear_instance_cache()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--servers", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-dbt-"))
    shutil.copytree(ROOT / "dbt", work / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    config = luigi.configuration.get_config()
    config.set("warehouse", "duckdb_dir", str(work / "warehouse"))
    config.set("landing", "url", str(work / "landing"))
    config.set("dbt", "project_dir", str(work / "dbt"))
    config.set("loading", "max_reject_share", "0.2")
    os.environ.update(devdata.LOCATIONS)

    end = date.today() - timedelta(days=3)
    ds = generate(end - timedelta(days=args.days - 1), args.days, args.servers, seed=42)
    write_files(ds.files, str(work / "landing"))
    postgres = pgserver.get_server(tempfile.mkdtemp(prefix="bench-dbt-pg-"), cleanup_mode="delete")
    os.environ["HEROKU_POSTGRESQL_URL"] = postgres.get_uri()
    write_postgres(ds.orgm, postgres.get_uri())
    (work / "warehouse").mkdir()
    with duckdb.connect() as con:
        con.execute("ATTACH ? AS raw", [str(work / "warehouse" / "raw.duckdb")])
        write_duckdb(ds.segment, con)
    loads = [CatchUpLoads(end=end, days=args.days), ReplicateOrgm()]
    assert luigi.build(loads, local_scheduler=True, log_level="WARNING")
    nodes = len(manifest.load().select("all"))

    dbt = [str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", str(work / "dbt"),
           "--profiles-dir", str(work / "dbt"), "--target", "duckdb", "--quiet"]  # fmt: skip
    env = dict(os.environ, BIZOPS_WAREHOUSE_DIR=str(work / "warehouse"))

    waited: list[float] = []  # time in run_dbt (the dbt process and its output) during the last Luigi run
    run_dbt = dbt_tasks.run_dbt

    def timed_run_dbt(*a: Any, **k: Any) -> dict[str, tuple[str, str]]:
        started = time.perf_counter()
        try:
            return run_dbt(*a, **k)
        finally:
            waited.append(time.perf_counter() - started)

    dbt_tasks.run_dbt = timed_run_dbt

    def through_luigi() -> bool:
        waited.clear()
        return luigi.build([dbt_tasks.DbtBuild(selection="all", end=end, days=args.days)], local_scheduler=True,
                           log_level="WARNING")  # fmt: skip

    def alone() -> bool:
        return subprocess.run(dbt, env=env, check=False).returncode == 0

    # Alternating rounds from nothing built, best of each: the machine is shared and noisy.
    timings: dict[str, list[float]] = {"luigi": [], "dbt": [], "own": []}
    ok = True
    for _ in range(args.rounds):
        for name, run in (("luigi", through_luigi), ("dbt", alone)):
            reset_marts(work / "warehouse")
            started = time.perf_counter()
            ok = run() and ok
            timings[name].append(time.perf_counter() - started)
        timings["own"].append(timings["luigi"][-1] - sum(waited))
    through, plain, own = min(timings["luigi"]), min(timings["dbt"]), min(timings["own"])
    print(f"{nodes} dbt nodes, {args.days} days x {args.servers} servers")
    print(f"through Luigi  {through:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in timings['luigi'])})")
    print(f"dbt build      {plain:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in timings['dbt'])})")
    print(f"Luigi's own    {own:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in timings['own'])}), "
          f"{own / plain:.1%} of the dbt build")  # fmt: skip
    print(f"ratio {through / plain:.2f} (target <= 1.15){'' if ok else '  -- A RUN FAILED'}")
    shutil.rmtree(work, ignore_errors=True)
    postgres.cleanup()


if __name__ == "__main__":
    main()
