"""The whole pipeline as `make demo` runs it (`python -m tasks Pipeline`, the demo's data) with two workers against
one worker, from nothing built each time, and the same marts from both.

The data is generated and the dbt project parsed once; each run gets a fresh warehouse (Segment's tables copied in)
at the same path, as a deployment keeps it (a new path would change dbt's profile and cost every run a full parse of
the project), a fresh Salesforce database and report folder, then runs the pipeline in a subprocess. Rounds
alternate between the worker counts; the best of each is compared. Prints both times, the CPU seconds the runs
used, the ratio (target: below 1), and fails if any run's warehouse differs from the first's (every table's rows,
bookkeeping and load times aside): no row lost or doubled by running concurrently. For the best run of each, the
seconds its tasks took by stage (extract, transform, publish: where a task's class lives), the rest being start-up,
scheduling and waits; and the machine's load average, which the times depend on (the cores are shared).

    PYTHONPATH=. .venv/bin/python bench/workers.py [--days 7] [--servers 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import luigi

from bench.runs import parsed_dbt_project, pipeline_env, postgres_server, write_config
from devdata.generate import generate
from devdata.writers import new_database, write_duckdb, write_files, write_postgres

ROOT = Path(__file__).resolve().parents[1]


# Columns that hold when a run loaded or wrote a row, and the schema of the pipeline's bookkeeping (markers, load
# history): they differ between runs of the same data.
RUN_TIMES = ("loaded_at", "_loaded_at", "created_at", "processed_at")
BOOKKEEPING_SCHEMA = "pipeline"
# The console's line for a finished task (services.console): its family and how long it ran.
DONE_LINE = re.compile(r"^\S+ done +(\w+)\(.*? in ([\d.]+) s\b", re.MULTILINE)


def digest(dbdir: Path) -> dict[str, tuple[int, int]]:
    """(rows, sum of the rows' hashes) of every table of the warehouse: equal digests, equal multisets of rows."""
    found = {}
    with duckdb.connect() as con:
        for name in ("raw", "analytics"):
            con.execute(f"ATTACH '{dbdir / name}.duckdb' AS {name} (READ_ONLY)")
        tables = con.execute(
            "SELECT database_name, schema_name, table_name, list(column_name ORDER BY column_index) "
            "FROM duckdb_columns() WHERE database_name IN ('raw', 'analytics') AND schema_name <> ? "
            "GROUP BY ALL ORDER BY ALL",
            [BOOKKEEPING_SCHEMA],
        ).fetchall()
        for database, schema, table, columns in tables:
            kept = ", ".join(f'"{c}"' for c in columns if c not in RUN_TIMES)
            name = f'"{database}"."{schema}"."{table}"'
            found[f"{database}.{schema}.{table}"] = con.execute(
                f"SELECT count(*), coalesce(sum(hash({kept})::HUGEINT), 0) FROM {name}"
            ).fetchone()
    return found


def stages(console: str) -> dict[str, float]:
    """Seconds the finished tasks of a run took, by the package of ``tasks`` their class is in (extract, transform,
    publish), from the run's console lines."""
    import tasks  # noqa: F401 - registers every task family

    found: collections.Counter[str] = collections.Counter()
    for family, seconds in DONE_LINE.findall(console):
        module = luigi.task_register.Register.get_task_cls(family).__module__
        found[module.split(".")[1]] += float(seconds)
    return {stage: round(seconds, 1) for stage, seconds in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    end = date.today() - timedelta(days=2)  # settled, as in the demo
    ds = generate(end - timedelta(days=args.days - 1), args.days, args.servers, seed=42)
    write_files(ds.files, str(work / "landing"))
    with duckdb.connect() as con:  # Segment writes into the warehouse itself
        con.execute("ATTACH ? AS raw", [str(work / "segment.duckdb")])
        write_duckdb(ds.segment, con)
    warehouse = work / "warehouse"
    # The manifest every round reads, parsed once here: otherwise the first round alone would parse it.
    project = parsed_dbt_project(work, warehouse)
    postgres = postgres_server("workers")
    env = pipeline_env()

    def run(workers: int, round_: int) -> tuple[float, float, dict[str, float], float]:
        """Wall and CPU seconds, task seconds by stage and the 1-minute load average of one run from nothing built."""
        here = work / f"round-{round_}-workers-{workers}"
        here.mkdir()
        shutil.rmtree(warehouse, ignore_errors=True)
        warehouse.mkdir()
        shutil.copy(work / "segment.duckdb", warehouse / "raw.duckdb")
        dsn = new_database(postgres.get_uri(), f"orgm_{round_}_{workers}")
        write_postgres(ds.orgm, dsn)
        config = write_config(here, {
            "warehouse": {"duckdb_dir": str(warehouse)}, "landing": {"url": str(work / "landing")},
            "dbt": {"project_dir": str(project)}, "report": {"folder": str(here / "reports")},
            "logs": {"file": str(here / "pipeline.log")},  # the console keeps the progress lines, as in the demo
        })  # fmt: skip
        command = [sys.executable, "-m", "tasks", "Pipeline", "--end", end.isoformat(), "--days", str(args.days),
                   "--write-back-min-rows", "10", "--local-scheduler", "--workers", str(workers)]  # fmt: skip
        run_env = env | {"HEROKU_POSTGRESQL_URL": dsn, "LUIGI_CONFIG_PATH": str(config)}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=run_env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode:
            failed = (
                f"the pipeline with --workers {workers} failed (exit {done.returncode}, log {here / 'pipeline.log'})"
            )
            sys.exit(f"{failed}:\n{done.stderr[-4000:]}")
        found = digest(warehouse)
        if digests and found != digests[0]:
            differ = sorted(t for t in found.keys() | digests[0].keys() if found.get(t) != digests[0].get(t))
            sys.exit(f"--workers {workers}, round {round_}: the warehouse differs from the first run's in {differ}")
        digests.append(found)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        return elapsed, cpu, stages(done.stderr), os.getloadavg()[0]

    digests: list[dict[str, tuple[int, int]]] = []
    timings: dict[int, list[tuple[float, float, dict[str, float], float]]] = {1: [], 2: []}
    for round_ in range(args.rounds):
        for workers in (1, 2):
            timings[workers].append(run(workers, round_))
    best = {w: min(runs, key=lambda r: r[0]) for w, runs in timings.items()}
    print(
        f"Pipeline, {args.days} days x {args.servers} servers, from nothing built; the same warehouse from every run "
        f"({len(digests[0])} tables)"
    )
    for w, runs in timings.items():
        wall, _, by_stage, _ = best[w]
        print(
            f"--workers {w}  {wall:6.1f} s  (runs: {', '.join(f'{r[0]:.1f}' for r in runs)}; "
            f"CPU s: {', '.join(f'{r[1]:.1f}' for r in runs)}; load average after: "
            f"{', '.join(f'{r[3]:.1f}' for r in runs)})"
        )
        print(
            "    best run's tasks: "
            + ", ".join(f"{stage} {s:.1f} s" for stage, s in sorted(by_stage.items()))
            + f"; start-up, scheduling and waits {wall - sum(by_stage.values()):.1f} s"
        )
    print(f"ratio {best[2][0] / best[1][0]:.2f} (target < 1)")
    shutil.rmtree(work, ignore_errors=True)
    postgres.cleanup()


if __name__ == "__main__":
    main()
