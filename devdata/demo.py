"""`make demo`: a week of sample data, the embedded services, and the whole pipeline run through Luigi.

Idempotent like the pipeline: the data is generated once per data folder, and a second run finds every
task complete and does no work. Everything lives under ./data (delete it to start over: `make clean`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pgserver

import devdata
from devdata.generate import generate, summary
from devdata.writers import write_duckdb, write_files, write_postgres
from tasks.publish.report.html import report_path

DATA = Path("data")
DAYS = 7
SERVERS = 200
SEED = 42


def start_postgres() -> str:
    """The Heroku Connect side: a real PostgreSQL under data/postgres, left running for later runs."""
    (DATA / "postgres").parent.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(DATA / "postgres", cleanup_mode=None).get_uri()


def generate_once(first: date, dsn: str) -> None:
    stamp = DATA / "landing" / ".generated.json"
    wanted = {"start": first.isoformat(), "days": DAYS, "servers": SERVERS, "seed": SEED}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        print(f"sample data already generated ({wanted})")
        return
    dataset = generate(first, DAYS, SERVERS, SEED)
    write_files(dataset.files, str(DATA / "landing"))
    write_postgres(dataset.orgm, dsn)
    (DATA / "warehouse").mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute("ATTACH ? AS raw", [str(DATA / "warehouse" / "raw.duckdb")])
        write_duckdb(dataset.segment, con)
    stamp.write_text(json.dumps(wanted))
    print(summary(dataset))


def show(last: date) -> None:
    from targets.warehouse.connect import connect

    with connect("demo:summary") as s:
        print("\nRaw tables (rows, files, rejected lines):")
        for (table,) in s.execute("SELECT DISTINCT target_table FROM raw.pipeline.load_history ORDER BY 1"):
            rows = s.execute(f"SELECT count(*) FROM {table}")[0][0]
            files, rejects = s.execute(
                "SELECT count(*), coalesce(sum(errors_seen), 0) FROM raw.pipeline.load_history WHERE target_table = ?",
                (table,),
            )[0]
            print(f"  {table:<32} {rows:>9} rows {files:>5} files {rejects:>5} rejected")
        markers = s.execute("SELECT count(*), max(inserted) FROM raw.pipeline.markers")[0]
        print(f"\nMarkers: {markers[0]} (latest {markers[1]:%Y-%m-%d %H:%M} UTC) in raw.pipeline.markers")
        marts = s.execute(
            "SELECT database_name || '.' || schema_name || '.' || table_name, estimated_size "
            "FROM duckdb_tables() WHERE database_name = 'analytics' ORDER BY 1"
        )
        if marts:
            print("\nMarts (analytics.*):")
            for name, size in marts:
                print(f"  {name:<48} {size:>9} rows")
    print(
        "\nLook at it:\n"
        "  .venv/bin/python -c \"import duckdb; c = duckdb.connect(); "
        "c.execute(\\\"ATTACH 'data/warehouse/analytics.duckdb' AS analytics (READ_ONLY)\\\"); "
        "print(c.sql('FROM analytics.mattermost.server_security_details LIMIT 10'))\"\n"
        f"  python -m ops status CatchUpLoads --end {last}      # what a run would do (nothing, now)\n"
        "  make luigid   # the central scheduler's visualiser on http://localhost:8082 (then add --scheduler-host)"
    )


def main() -> int:
    last = date.today() - timedelta(days=2)  # a settled day: no more late files can land for it
    first = last - timedelta(days=DAYS - 1)
    dsn = start_postgres()
    os.environ.update(
        HEROKU_POSTGRESQL_URL=dsn,
        DIAGNOSTIC_LOCATION_ONE=devdata.DIAGNOSTIC_LOCATION_ONE,
        DIAGNOSTIC_LOCATION_TWO=devdata.DIAGNOSTIC_LOCATION_TWO,
        RELEASE_LOCATION=devdata.RELEASE_LOCATION,
        AWS_ACCOUNT_ID=devdata.AWS_ACCOUNT_ID,
    )
    generate_once(first, dsn)
    # A sample of SERVERS servers has a few dozen accounts: below the write-back's guard against replacing a
    # Salesforce-facing table with a suspiciously small result (500 rows by default).
    command = [sys.executable, "-m", "tasks", "Pipeline", "--end", last.isoformat(), "--days", str(DAYS),
               "--write-back-min-rows", "10", "--local-scheduler", "--workers", "1"]  # fmt: skip
    print("\n$ " + " ".join(["python", *command[1:]]), flush=True)
    code = subprocess.call(command)
    if code:
        print(f"the pipeline run failed (exit {code}); see the log above", file=sys.stderr)
        return code
    show(last)
    print(f"\nMetrics report (charts) for {last}: {report_path(last).resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
