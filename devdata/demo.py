"""`make demo`: two weeks of sample data, the embedded services, the local settings, and the pipeline run through
Luigi as the README's first command runs it.

Idempotent like the pipeline: the data is generated once per data folder, and a second run finds every task
complete and does no work. Everything lives under ./data (delete it to start over: `make clean`), the local
settings too (config.local): every command of the README reads them by itself afterwards, in any shell.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb

import devdata
from config import local
from devdata.generate import generate
from devdata.writers import write_duckdb, write_files, write_postgres
from tasks.params import yesterday
from tasks.publish.report.html import report_path

DATA = Path("data")
DAYS = 14  # the README's `CatchUpLoads --days 14` finds two weeks of files; a run covers [loading] catchup_days
SERVERS = 200
SEED = 42
LOG = DATA / "logs" / "pipeline.log"
PIPELINE = ["python", "-m", "tasks", "Pipeline", "--local-scheduler"]  # the README's first command, verbatim
HEADER = """Written by `make demo`: the settings of local runs on its sample data (config/local.py). python -m tasks,
python -m ops and make luigid read this file by itself; a variable set in the environment wins. Settings only:
secrets come only from the environment. LUIGI_CONFIG_PATH names the luigi.cfg of local values beside it."""


def write_settings() -> Path:
    """The local settings: the sample's landing locations, its PostgreSQL, and the luigi settings its data needs."""
    return local.write(
        {**devdata.LOCATIONS, local.POSTGRES: str(DATA / "postgres")},
        {
            # A sample of a few hundred servers has a few dozen accounts: below the write-back's guard against
            # replacing a Salesforce-facing table with a suspiciously small result (500 rows by default).
            "write_back": {"min_rows": "10"},
            # The sample lands whole, late files included: no day waits for files still to come.
            "loading": {"late_arrival_hours": "0"},
            # The console shows a line per task; Luigi's scheduling and every detail go here.
            "logs": {"file": str(LOG)},
        },
        HEADER,
    )


def generate_once(first: date, dsn: str) -> str:
    """Generate the sample unless this folder holds it already; one line saying what it is."""
    stamp = DATA / "landing" / ".generated.json"
    wanted = {"start": first.isoformat(), "days": DAYS, "servers": SERVERS, "seed": SEED}
    what = (
        f"{DAYS} days ({first}..{first + timedelta(days=DAYS - 1)}), {SERVERS} servers: log files in "
        f"{DATA / 'landing'}, Salesforce in a PostgreSQL in {DATA / 'postgres'}, Segment in {DATA / 'warehouse'}"
    )
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return f"Sample data (generated before): {what}"
    dataset = generate(first, DAYS, SERVERS, SEED)
    write_files(dataset.files, str(DATA / "landing"))
    write_postgres(dataset.orgm, dsn)
    (DATA / "warehouse").mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute("ATTACH ? AS raw", [str(DATA / "warehouse" / "raw.duckdb")])
        write_duckdb(dataset.segment, con)
    stamp.write_text(json.dumps(wanted))
    return f"Sample data: {what}"


def show(last: date, settings: Path) -> None:
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
        f"\nNext, as the README says (each command reads {settings} by itself): python -m ops status Pipeline, make "
        f"luigid, ...\nThe metrics report for {last}: {report_path(last).resolve()}; the whole log: {LOG}"
    )


def main() -> int:
    last = yesterday()
    settings = write_settings()
    print(generate_once(last - timedelta(days=DAYS - 1), local.start_postgres(DATA / "postgres")))
    print("$ " + " ".join(PIPELINE), flush=True)
    code = subprocess.call([sys.executable, *PIPELINE[1:]])
    if code:
        print(f"the pipeline run failed (exit {code}); the whole log: {LOG}", file=sys.stderr)
        return code
    show(last, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
