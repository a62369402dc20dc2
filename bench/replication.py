"""Benchmark of the orgm replication: 1,000,000 line items from a real PostgreSQL (pgserver) into a fresh DuckDB
warehouse through the pipeline (ReplicateOrgmTable), against the ceiling of a plain COPY to /dev/null; then 1 % of
the rows change and the incremental run is timed against the full load.

    .venv/bin/python bench/replication.py [--rows 1000000] [--changed-share 0.01] [--repeat 3]

Targets: full load >= 0.6 x the ceiling's rows/s; incremental < 5 % of the full load's time. Each figure is the
best of --repeat rounds, and the rounds are alike: the ceiling, a full load (the first load, then resets of the
same table), then the same 1 % of the rows change again and an incremental run reads them (plus, in the first
round, the full load's last hour, which its lookback re-reads).

A full load copies the table a range of pages at a time, Postgres copying the next range while DuckDB loads the one
before: with a core free for each, the load takes about as long as the slower of the two; on a busy machine they
share the cores, and it comes nearer their sum (DuckDB's parse and compression cost about as much CPU as the COPY).
The two targets pull against each other: a faster full load leaves the incremental's fixed costs (the commit's
checkpoint, the scan of every key by the merge's DELETE, staging the copied rows: about 60 of its 105 ms) a bigger
share of it. The incremental runs in the process that ran the full load, as a slot's tables replicate one after
another in one process: its session is a connection on the process's DuckDB instance, which a process's first
session starts (some 12 ms, and 6 more to close it at the end; 20 ms of each run when every session had an instance
of its own). Streaming an incremental's COPY into DuckDB's CSV reader through a pipe, so that the two
overlap, measured no faster: the reader takes a pipe's rows once its buffer is full or the stream ends, on one thread.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import luigi  # noqa: E402
import pgserver  # noqa: E402
import psycopg2  # noqa: E402

from ops.replication import reset  # noqa: E402
from targets.markers.snapshots import SNAPSHOTS  # noqa: E402
from tasks.extract.replication import ReplicateOrgmTable  # noqa: E402

COLUMNS = """
    id serial, sfid varchar(18) UNIQUE, name varchar, opportunityid varchar(18), product2id varchar(18),
    product_type__c varchar, product_line_type__c varchar, revenue_type__c varchar, description text,
    listprice numeric(18,2), unitprice numeric(18,2), discount numeric(18,2), quantity numeric(18,2),
    totalprice numeric(18,2), start_date__c date, end_date__c date, arr_contributed__c numeric(18,2),
    systemmodstamp timestamp, createddate timestamp, isdeleted boolean DEFAULT false, _hc_lastop varchar(32),
    _hc_err text
"""
GENERATE = """
INSERT INTO orgm.opportunitylineitem (sfid, name, opportunityid, product2id, product_type__c, product_line_type__c,
    revenue_type__c, description, listprice, unitprice, discount, quantity, totalprice, start_date__c, end_date__c,
    arr_contributed__c, systemmodstamp, createddate, isdeleted, _hc_lastop)
SELECT
    '00k' || lpad(g::text, 15, '0'),
    'E20 Enterprise Edition - ' || (g % 97),
    '006' || lpad((g / 3)::text, 15, '0'),
    '01t3600000E' || (g % 4) || 'Prod',
    CASE WHEN g % 10 = 0 THEN 'Non-Recurring' ELSE 'Recurring' END,
    (ARRAY['New', 'Expansion', 'Ren'])[g % 3 + 1],
    'Subscription',
    CASE WHEN g % 5 = 0 THEN NULL ELSE 'Seats for team ' || md5(g::text) END,
    (g % 1000) * 12.5, (g % 1000) * 12.0, 0.04, 1 + g % 250, (g % 1000) * 12.0 * (1 + g % 250),
    date '2020-01-01' + g % 1800, date '2020-01-01' + g % 1800 + 364, (g % 1000) * 12.0,
    timestamp '2026-01-01' + (g % 500000) * interval '37 seconds',
    timestamp '2019-01-01' + (g % 500000) * interval '60 seconds',
    false, 'SYNCED'
FROM generate_series(1, {rows}) AS g
"""
TABLE = "opportunitylineitem"


class _Discard:
    def write(self, data: bytes) -> int:
        return len(data)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def connect(dsn: str):
    con = psycopg2.connect(dsn, options="-c TimeZone=UTC")
    con.autocommit = True
    return con


def generate(dsn: str, rows: int) -> None:
    con = connect(dsn)
    with con.cursor() as cur:
        started = time.perf_counter()
        cur.execute("CREATE SCHEMA orgm")
        cur.execute(f"CREATE TABLE orgm.{TABLE} ({COLUMNS})")
        cur.execute(GENERATE.format(rows=int(rows)))
        cur.execute(f"CREATE INDEX ON orgm.{TABLE} (systemmodstamp)")  # Heroku Connect indexes it too
        cur.execute("CREATE TABLE orgm.delete_history__c (id serial, sfid varchar(18) UNIQUE, object_id__c "
                    "varchar(18), systemmodstamp timestamp, createddate timestamp, isdeleted boolean)")  # fmt: skip
        cur.execute(f"VACUUM ANALYZE orgm.{TABLE}")
        cur.execute(f"SELECT pg_size_pretty(pg_total_relation_size('orgm.{TABLE}'))")
        size = cur.fetchone()[0]
    con.close()
    print(f"generated {rows:,} rows of orgm.{TABLE} ({size}) in {time.perf_counter() - started:.1f} s")


def ceiling(dsn: str) -> float:
    con = connect(dsn)
    with con.cursor() as cur:
        seconds = timed(lambda: cur.copy_expert(f"COPY (SELECT * FROM orgm.{TABLE}) TO STDOUT", _Discard(), 1 << 20))
    con.close()
    return seconds


def change(dsn: str, share: float, offset: int = 0) -> int:
    """The same rows each round: the bookmark of the full load before is their last stamp, so the incremental run
    after it reads them alone (another share's rows would still be within its lookback, and re-read)."""
    con = connect(dsn)
    with con.cursor() as cur:
        cur.execute(
            f"UPDATE orgm.{TABLE} SET unitprice = unitprice + 1, systemmodstamp = now() WHERE id %% %s = %s",
            (round(1 / share), offset),
        )
        changed = cur.rowcount
    con.close()
    return changed


def last_run(raw: Path) -> tuple[int, int]:
    """Rows the last run read from Postgres and wrote. A run re-reads the lookback: the earlier runs' changes too."""
    con = duckdb.connect(str(raw), read_only=True)
    rows = con.execute(
        f"SELECT rows_extracted, rows_upserted FROM pipeline.replication_state WHERE table_name = '{TABLE}'"
    ).fetchone()
    con.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--changed-share", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory(prefix="bench_replication_") as tmp:
        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="delete")
        dsn = server.get_uri()
        os.environ["HEROKU_POSTGRESQL_URL"] = dsn
        config = luigi.configuration.get_config()
        config.set("warehouse", "backend", "duckdb")
        config.set("warehouse", "duckdb_dir", str(Path(tmp) / "warehouse"))
        config.set("replication", "temp_dir", tmp)
        generate(dsn, args.rows)

        slot = datetime(2026, 11, 25, 13, 0)
        ReplicateOrgmTable(table="delete_history__c", slot=slot).run()
        ceilings, fulls, incrementals, reads = [], [], [], []
        for i in range(args.repeat):
            ceilings.append(ceiling(dsn))
            if i == 0:  # the first load, through the task
                fulls.append(timed(ReplicateOrgmTable(table=TABLE, slot=slot).run))
            else:  # a full reload of the loaded table: the same path, replacing the rows in one transaction
                fulls.append(timed(lambda: reset(TABLE)))
            changed = change(dsn, args.changed_share)
            SNAPSHOTS.clear()
            task = ReplicateOrgmTable(table=TABLE, slot=slot + timedelta(hours=i + 1))
            incrementals.append(timed(task.run))
            reads.append(last_run(Path(tmp) / "warehouse" / "raw.duckdb"))
        # Not a target: another share changes while the last one is still within the lookback, re-read.
        change(dsn, args.changed_share, offset=1)
        SNAPSHOTS.clear()
        rereading = timed(ReplicateOrgmTable(table=TABLE, slot=slot + timedelta(hours=args.repeat + 1)).run)
        reread = last_run(Path(tmp) / "warehouse" / "raw.duckdb")

        check = duckdb.connect(str(Path(tmp) / "warehouse" / "raw.duckdb"), read_only=True)
        copied = check.execute(f"SELECT count(*) FROM orgm.{TABLE}").fetchone()[0]
        check.close()
        server.cleanup()

    def runs(values: list[float]) -> str:
        return ", ".join(f"{v:.2f}" for v in values)

    best_ceiling, best_full, best_incremental = min(ceilings), min(fulls), min(incrementals)

    def rate(seconds: float) -> str:
        return f"{seconds:6.2f} s {args.rows / seconds:10,.0f} rows/s"

    print(f"ceiling   COPY (SELECT *) TO STDOUT -> /dev/null  {rate(best_ceiling)}   runs: {runs(ceilings)}")
    print(f"pipeline  full load into DuckDB                  {rate(best_full)}   runs: {runs(fulls)} "
          "(first load, then resets)")  # fmt: skip
    print(f"          ratio to the ceiling: {best_ceiling / best_full:.2f} (target >= 0.6); first load alone "
          f"{min(ceilings) / fulls[0]:.2f}")  # fmt: skip
    print(f"incremental: {changed:,} rows changed ({args.changed_share:.0%})    {1000 * best_incremental:6.1f} ms"
          f"   runs: {', '.join(f'{1000 * v:.1f}' for v in incrementals)} ms (rows read: "
          f"{', '.join(f'{n:,}' for n, _ in reads)})")  # fmt: skip
    print(f"          share of the full load: {best_incremental / best_full:.1%} (target < 5%); rows written by the "
          f"last run: {reads[-1][1]:,}; warehouse copy: {copied:,} rows")  # fmt: skip
    print(f"          a run re-reading the previous change within its lookback: {1000 * rereading:.1f} ms "
          f"({reread[0]:,} rows read, {reread[1]:,} written)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
