"""The whole pipeline as `make demo` runs it (`python -m tasks Pipeline`, the demo's data) with two workers against
one worker, from nothing built each time.

The data is generated and the dbt project parsed once; each round gets a fresh warehouse (Segment's tables copied
in), a fresh Salesforce database and report folder, then runs the pipeline in a subprocess. Rounds alternate between
the worker counts; the best of each is compared. Prints both times and the ratio (target: below 1).

    PYTHONPATH=. .venv/bin/python bench/workers.py [--days 7] [--servers 200] [--rounds 2]
"""

from __future__ import annotations

import argparse
import configparser
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pgserver
import psycopg2

import devdata
from devdata.generate import generate
from devdata.writers import write_duckdb, write_files, write_postgres

ROOT = Path(__file__).resolve().parents[1]


def fresh_database(server_dsn: str, name: str) -> str:
    con = psycopg2.connect(server_dsn)
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    con.close()
    return psycopg2.extensions.make_dsn(server_dsn, dbname=name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    end = date.today() - timedelta(days=2)  # settled, as in the demo
    ds = generate(end - timedelta(days=args.days - 1), args.days, args.servers, seed=42)
    write_files(ds.files, str(work / "landing"))
    with duckdb.connect() as con:  # Segment writes into the warehouse itself
        con.execute("ATTACH ? AS raw", [str(work / "segment.duckdb")])
        write_duckdb(ds.segment, con)
    shutil.copytree(ROOT / "dbt", work / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    # The manifest every round reads, parsed once here: otherwise the first round alone would parse it.
    dbt = [str(Path(sys.executable).parent / "dbt"), "parse", "--project-dir", str(work / "dbt"), "--profiles-dir",
           str(work / "dbt"), "--target", "duckdb", "--quiet"]  # fmt: skip
    subprocess.run(dbt, env=dict(os.environ, BIZOPS_WAREHOUSE_DIR=str(work)), check=True)
    postgres = pgserver.get_server(tempfile.mkdtemp(prefix="bench-workers-pg-"), cleanup_mode="delete")
    env = dict(os.environ, DIAGNOSTIC_LOCATION_ONE=devdata.DIAGNOSTIC_LOCATION_ONE,
               DIAGNOSTIC_LOCATION_TWO=devdata.DIAGNOSTIC_LOCATION_TWO, RELEASE_LOCATION=devdata.RELEASE_LOCATION,
               AWS_ACCOUNT_ID=devdata.AWS_ACCOUNT_ID)  # fmt: skip
    env.pop("MATTERMOST_WEBHOOK_URL", None)

    def run(workers: int, round_: int) -> float:
        here = work / f"round-{round_}-workers-{workers}"
        (here / "warehouse").mkdir(parents=True)
        shutil.copy(work / "segment.duckdb", here / "warehouse" / "raw.duckdb")
        dsn = fresh_database(postgres.get_uri(), f"orgm_{round_}_{workers}")
        write_postgres(ds.orgm, dsn)
        config = configparser.ConfigParser()
        config.read_dict({
            "warehouse": {"duckdb_dir": str(here / "warehouse")}, "landing": {"url": str(work / "landing")},
            "dbt": {"project_dir": str(work / "dbt")}, "report": {"folder": str(here / "reports")},
        })  # fmt: skip
        with (here / "luigi.cfg").open("w") as out:
            config.write(out)
        command = [sys.executable, "-m", "tasks", "Pipeline", "--end", end.isoformat(), "--days", str(args.days),
                   "--write-back-min-rows", "10", "--local-scheduler", "--workers", str(workers)]  # fmt: skip
        run_env = env | {"HEROKU_POSTGRESQL_URL": dsn, "LUIGI_CONFIG_PATH": str(here / "luigi.cfg")}
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=run_env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if done.returncode:
            sys.exit(f"the pipeline with --workers {workers} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
        return elapsed

    timings: dict[int, list[float]] = {1: [], 2: []}
    for round_ in range(args.rounds):
        for workers in (1, 2):
            timings[workers].append(run(workers, round_))
    one, two = min(timings[1]), min(timings[2])
    print(f"Pipeline, {args.days} days x {args.servers} servers, from nothing built")
    print(f"--workers 1  {one:6.1f} s  (runs: {', '.join(f'{t:.1f}' for t in timings[1])})")
    print(f"--workers 2  {two:6.1f} s  (runs: {', '.join(f'{t:.1f}' for t in timings[2])})")
    print(f"ratio {two / one:.2f} (target < 1)")
    shutil.rmtree(work, ignore_errors=True)
    postgres.cleanup()


if __name__ == "__main__":
    main()
