"""Fixtures for the dbt project tests: a copy of dbt/ in a temp folder (so runs leave no target/ or logs/ in the
tree, and the excludable_servers seed can list the fixture's excluded server), a RAW warehouse built from
raw_data.py, and `dbt` run as a subprocess with BIZOPS_WAREHOUSE_DIR pointing at it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import luigi

from targets.markers.snapshots import SNAPSHOTS
from targets.warehouse.duckdb_session import DuckDBSession
from tests.dbt import raw_data

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt"
DBT = str(Path(sys.executable).with_name("dbt"))
VARS = {"run_date": raw_data.RUN_DATE.isoformat(), "google_analytics_integrations": ["docs"]}


@dataclass
class DbtProject:
    project_dir: Path
    warehouse_dir: Path
    last_results: dict | None = None

    def run(self, *args: str, vars: dict | None = None, env: dict[str, str] | None = None) -> dict:
        """Run a dbt command; fail the test with dbt's output unless it succeeds. Returns run_results.json."""
        command = [DBT, *args, "--project-dir", str(self.project_dir), "--profiles-dir", str(self.project_dir)]
        command += ["--vars", json.dumps(VARS | (vars or {}))]
        full_env = os.environ | {"BIZOPS_WAREHOUSE_DIR": str(self.warehouse_dir), "DO_NOT_TRACK": "1"} | (env or {})
        done = subprocess.run(command, cwd=self.project_dir, env=full_env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
        self.last_results = json.loads((self.project_dir / "target" / "run_results.json").read_text())
        return self.last_results

    def analytics(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection to the built marts (views need raw attached); close it before the next dbt run."""
        con = duckdb.connect(str(self.warehouse_dir / "analytics.duckdb"), read_only=True)
        con.execute(f"attach '{self.warehouse_dir / 'raw.duckdb'}' as raw (read_only)")
        return con

    def analytics_writer(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.warehouse_dir / "analytics.duckdb"))

    def raw(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.warehouse_dir / "raw.duckdb"))

    def raw_rows(self, table: str, columns: str) -> list[dict]:
        with self.raw() as con:
            return rows(con, f"select {columns} from {table}")

    def fail_loads(self, loads: list[luigi.Task]) -> None:
        """Write the failure markers of these loads' days, as a load that withdraws a failed day does (the test has
        taken the day's rows out of the raw table)."""
        with self.raw() as con:
            session = DuckDBSession("test", connection=con)
            for load in loads:
                failure = load.failure_marker()
                failure.prepare(session)
                failure.write(session, 100)
        SNAPSHOTS.clear()


def make_project(tmp: Path) -> DbtProject:
    project_dir = tmp / "dbt"
    shutil.copytree(DBT_DIR, project_dir, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    with (project_dir / "seeds" / "excludable_servers.csv").open("a") as seed:
        seed.write(f"test fixture,{raw_data.EXCLUDED_SERVER}\n")
    warehouse_dir = tmp / "warehouse"
    warehouse_dir.mkdir()
    raw_data.build_raw(warehouse_dir / "raw.duckdb")
    return DbtProject(project_dir, warehouse_dir)


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def assert_same(expected: dict, got: dict, limit: int = 25) -> None:
    """Fail naming every key missing, extra or different (the first `limit` spelt out)."""
    lines = [f"missing {k}: expected {expected[k]}" for k in sorted(expected.keys() - got.keys(), key=str)]
    lines += [f"extra {k}: got {got[k]}" for k in sorted(got.keys() - expected.keys(), key=str)]
    lines += [
        f"{k}: expected {v}, got {got[k]}" for k, v in sorted(expected.items(), key=str) if k in got and got[k] != v
    ]
    assert not lines, f"{len(lines)} of {len(expected)} rows disagree:\n" + "\n".join(lines[:limit])
