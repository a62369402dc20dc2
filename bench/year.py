"""A year of history: its backfill, then one ordinary day on top of it against the same day on top of a week, and
that day with two workers against one.

The data of every source comes from devdata for the history's days and the ordinary day after them. The backfill
runs what a new deployment runs (`CatchUpLoads` over the history, the replication, every dbt node), each stage in
its own `python -m tasks` process, and prints its rows per second, wall time, Luigi's scheduling time (from the
start of the process to Luigi's "Done scheduling tasks") and the peak memory of the largest process. The ordinary
day is what the schedules run in a day: the catch-up (the day's new files, the late files of the day before), the
replication (a day of Salesforce changes), the frequent and the nightly dbt selections, the metrics digest. Each
run of it starts from a copy of the history's warehouse and Salesforce database (the warehouse always at the same
path: dbt's profile names it, and a new path would cost every run a full parse of the project). The week is
generated with the same volumes per day. Rounds alternate; the best of each is compared.

    PYTHONPATH=. .venv/bin/python bench/year.py [--days 365] [--servers 100] [--downloads 2000] [--pushes 2000]
        [--rounds 2] [--week 7]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import psycopg2
import psycopg2.extras

from bench.runs import parsed_dbt_project, pipeline_env, postgres_server, write_config
from config.settings import loading
from devdata.generate import Dataset, generate
from devdata.model import DirtOptions, LandingFile, Table
from devdata.writers import new_database, quote_ident, write_duckdb, write_files, write_postgres

ROOT = Path(__file__).resolve().parents[1]
# The first date in a landing key is its file's day (an ALB key's account id is twelve digits, not a date).
FILE_DAY = re.compile(r"(?<!\d)(\d{4})[-/]?(\d{2})[-/]?(\d{2})(?!\d)")
SCHEDULED = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) .*Done scheduling tasks", re.M)
SEGMENT_SCHEMAS = ("mattermost2", "mattermost_nps")
# The sample's dirt, late files included, but no malformed lines: at small volumes a few of them pass the loads'
# reject threshold and fail the day, which a benchmark of throughput must not depend on.
DIRT = DirtOptions(malformed_lines=0)

# Runs a command (argv[2:]) and writes its peak resident memory in KB, over it and every process it waited for, to
# argv[1]. The peak is measured from this small process: a command started by the bench itself would report the
# bench's own peak, which the kernel keeps across exec (the generated year is in the bench's memory).
MEASURE_PEAK = (
    "import os, subprocess, sys\n"
    "process = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(process.pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


@dataclass(frozen=True)
class Stage:
    name: str
    args: tuple[str, ...]  # python -m tasks <args>


@dataclass
class Timing:
    wall: float = 0.0
    scheduling: float = 0.0
    peak_mb: float = 0.0

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.wall + other.wall, self.scheduling + other.scheduling, max(self.peak_mb, other.peak_mb))


def backfill_stages(end: date, days: int) -> list[Stage]:
    window = ("--end", end.isoformat(), "--days", str(days))
    return [
        Stage("loads", ("CatchUpLoads", *window)),
        Stage("replication", ("ReplicateOrgm",)),
        Stage("dbt (every node)", ("DbtBuild", "--selection", "all", *window)),
    ]


def day_stages(day: date, history: int) -> list[Stage]:
    """What the schedules (config/schedules.py) run over a day, in their order, for the day just ended: over the
    catch-up's window, or the whole history when that is shorter. The nightly run's data tests are timed; its
    source freshness is not run, since the sample's data is days old by the clock and would fail it."""
    days = ("--days", str(min(loading().catchup_days, history + 1)))
    end = ("--end", day.isoformat(), *days)
    return [
        Stage("loads", ("CatchUpLoads", *end)),
        Stage("replication", ("ReplicateOrgm",)),
        Stage("frequent", ("DrainWriteBackQueue", *end)),
        Stage("nightly", ("DbtBuild", "--selection", "nightly", *end)),
        Stage("tests", ("DbtTest", "--selection", "nightly", *end)),
        Stage("digest", ("PostMetricsDigest", "--date", day.isoformat(), *days)),
    ]


@dataclass
class Split:
    """A dataset cut at the ordinary day: what the history holds, and what lands or changes on the day."""

    history_files: list[LandingFile]
    day_files: list[LandingFile]
    history_tables: list[Table]
    day_tables: list[Table]  # Segment's events and Salesforce's changes of the day
    segment: list[Table] = field(default_factory=list)  # Segment's tables of the history (in the warehouse)


def file_day(key: str) -> date:
    found = FILE_DAY.search(key)
    if not found:
        raise ValueError(f"no date in landing key {key!r}")
    return date(*map(int, found.groups()))


def split(ds: Dataset, day: date) -> Split:
    """The day's files are its own on-time files and the late files of the day before; Segment's events of the day
    and Salesforce's rows modified in the 24 hours before the data's clock are the day's changes."""
    history_files, day_files = [], []
    for f in ds.files:
        d = file_day(f.key)
        if d < day - timedelta(days=1) or (d == day - timedelta(days=1) and not f.late):
            history_files.append(f)
        elif d == day - timedelta(days=1) or not f.late:
            day_files.append(f)
    changed_since = datetime.combine(ds.world.today, datetime.min.time()) + timedelta(hours=3) - timedelta(days=1)
    history, changes = [], []
    for t in ds.segment + ds.orgm:
        column = "timestamp" if t.schema in SEGMENT_SCHEMAS else "systemmodstamp"
        if column not in t.column_names:  # no modification time: all of it is history
            history.append(t)
            continue
        i = t.column_names.index(column)
        since = day if column == "timestamp" else changed_since
        new = [(r[i].date() if column == "timestamp" else r[i]) >= since for r in t.rows]
        history.append(_with_rows(t, [r for r, n in zip(t.rows, new, strict=True) if not n]))
        changes.append(_with_rows(t, [r for r, n in zip(t.rows, new, strict=True) if n]))
    return Split(
        history_files,
        day_files,
        [t for t in history if t.schema not in SEGMENT_SCHEMAS],
        changes,
        [t for t in history if t.schema in SEGMENT_SCHEMAS],
    )


def _with_rows(t: Table, rows: list[tuple]) -> Table:
    return Table(t.schema, t.name, t.columns, rows, t.serial, t.unique)


def insert_postgres(tables: Sequence[Table], dsn: str) -> None:
    """Append the rows to existing tables, in one transaction."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            for t in tables:
                if t.rows:
                    columns = ", ".join(quote_ident(c) for c in t.column_names)
                    name = f"{quote_ident(t.schema)}.{quote_ident(t.name)}"
                    psycopg2.extras.execute_values(cur, f"INSERT INTO {name} ({columns}) VALUES %s", t.rows)
    finally:
        conn.close()


def insert_duckdb(tables: Sequence[Table], raw: Path) -> None:
    """Append Segment's rows to the warehouse's tables (through a scratch copy of each, written by devdata)."""
    with duckdb.connect() as con:
        con.execute("ATTACH ? AS raw", [str(raw)])
        con.execute("ATTACH ':memory:' AS scratch")
        write_duckdb(tables, con, "scratch")
        for t in tables:
            con.execute(f'INSERT INTO raw."{t.schema}"."{t.name}" SELECT * FROM scratch."{t.schema}"."{t.name}"')


class Bench:
    """One working folder: the dbt project parsed once, a PostgreSQL server, the warehouse's one path."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.warehouse = work / "warehouse"
        self.project = parsed_dbt_project(work, self.warehouse)
        self.postgres = postgres_server("year")
        self.env = pipeline_env()

    def run(self, here: Path, landing: Path, dsn: str, stages: Sequence[Stage], workers: int = 1) -> dict[str, Timing]:
        """Each stage as its own `python -m tasks` process, in order, on the warehouse as it is."""
        here.mkdir(parents=True, exist_ok=True)
        log = here / "pipeline.log"
        config = write_config(here, {
            "warehouse": {"duckdb_dir": str(self.warehouse)}, "landing": {"url": str(landing)},
            "dbt": {"project_dir": str(self.project)}, "report": {"folder": str(here / "reports")},
            "write_back": {"min_rows": "1"}, "logs": {"file": str(log)},
        })  # fmt: skip
        env = self.env | {"HEROKU_POSTGRESQL_URL": dsn, "LUIGI_CONFIG_PATH": str(config)}
        timings = {}
        peak = here / "peak-rss-kb"
        for stage in stages:
            tasks = [sys.executable, "-m", "tasks", *stage.args, "--local-scheduler", "--workers", str(workers)]
            command = [sys.executable, "-c", MEASURE_PEAK, str(peak), *tasks]
            offset = log.stat().st_size if log.exists() else 0
            wall_start = datetime.now()
            started = time.perf_counter()
            with (here / "output.txt").open("w+") as output:
                process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
                process.wait()
                elapsed = time.perf_counter() - started
                if process.returncode:
                    output.seek(0)
                    sys.exit(f"{' '.join(stage.args)} failed (exit {process.returncode}):\n{output.read()[-4000:]}")
            with log.open() as f:
                f.seek(offset)
                scheduled = SCHEDULED.search(f.read())
            scheduling = (
                (datetime.strptime(scheduled[1], "%Y-%m-%d %H:%M:%S,%f") - wall_start).total_seconds()
                if scheduled
                else 0.0
            )
            timings[stage.name] = Timing(elapsed, max(scheduling, 0.0), int(peak.read_text()) / 1024)
        return timings

    def restore(self, snapshot: Path) -> None:
        shutil.rmtree(self.warehouse, ignore_errors=True)
        shutil.copytree(snapshot, self.warehouse)


@dataclass
class History:
    """A history built once, its warehouse kept as a snapshot and its Salesforce database as a template."""

    name: str
    landing: Path
    snapshot: Path
    template: str
    days: int
    day_rows: int  # the day's new lines and rows, as generated
    backfill: dict[str, Timing]
    loaded_rows: int  # by the backfill
    rows: int  # in the raw tables of the snapshot


@dataclass
class Day:
    timings: dict[str, Timing]
    added: int  # rows the day added to the raw tables

    @property
    def wall(self) -> float:
        return sum(t.wall for t in self.timings.values())


def build_history(bench: Bench, name: str, ds: Dataset, day: date, days: int) -> History:
    """Write the history, backfill it, then add what the ordinary day brings (its files, Segment's events and
    Salesforce's changes) so every run of the day starts from the same copy."""
    cut = split(ds, day)
    landing = bench.work / name / "landing"
    write_files(cut.history_files, str(landing))
    shutil.rmtree(bench.warehouse, ignore_errors=True)
    bench.warehouse.mkdir()
    with duckdb.connect() as con:  # Segment writes into the warehouse itself
        con.execute("ATTACH ? AS raw", [str(bench.warehouse / "raw.duckdb")])
        write_duckdb(cut.segment, con)
    template = f"orgm_{name}"
    dsn = new_database(bench.postgres.get_uri(), template)
    write_postgres(cut.history_tables, dsn)
    backfill = bench.run(bench.work / name / "backfill", landing, dsn, backfill_stages(day - timedelta(days=1), days))
    loaded = raw_rows(bench.warehouse) - sum(len(t.rows) for t in cut.segment)
    write_files(cut.day_files, str(landing))
    insert_duckdb([t for t in cut.day_tables if t.schema in SEGMENT_SCHEMAS], bench.warehouse / "raw.duckdb")
    insert_postgres([t for t in cut.day_tables if t.schema not in SEGMENT_SCHEMAS], dsn)
    snapshot = bench.work / name / "snapshot"
    shutil.copytree(bench.warehouse, snapshot)
    day_rows = sum(f.lines for f in cut.day_files) + sum(len(t.rows) for t in cut.day_tables)
    return History(name, landing, snapshot, template, days, day_rows, backfill, loaded, raw_rows(snapshot))


def raw_rows(warehouse: Path) -> int:
    """Rows of the raw database's tables, the pipeline's bookkeeping aside."""
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{warehouse / 'raw.duckdb'}' AS raw (READ_ONLY)")
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'raw' AND schema_name <> ?",
            ["pipeline"],
        ).fetchall()
        return sum(con.execute(f'SELECT count(*) FROM raw."{s}"."{t}"').fetchone()[0] for s, t in tables)


def ordinary_day(bench: Bench, history: History, day: date, workers: int, round_: int) -> Day:
    bench.restore(history.snapshot)
    dsn = new_database(bench.postgres.get_uri(), f"orgm_{history.name}_{workers}_{round_}", history.template)
    here = bench.work / history.name / f"day-{round_}-workers-{workers}"
    timings = bench.run(here, history.landing, dsn, day_stages(day, history.days), workers)
    return Day(timings, raw_rows(bench.warehouse) - history.rows)


def assumptions(ds: Dataset, days: int, args: argparse.Namespace) -> str:
    per_day: dict[str, int] = {}
    for f in ds.files:
        source = f.key.split("/")[0]
        per_day[source] = per_day.get(source, 0) + f.lines
    tables = {f"{t.schema}.{t.name}": len(t.rows) for t in ds.segment + ds.orgm}
    segment = sum(n for name, n in tables.items() if name.split(".")[0] in SEGMENT_SCHEMAS)
    return "\n".join([
        f"{days} days of history and the day after, seed 42 (every count below over all {days + 1} days):",
        f"  servers: {args.servers}, {per_day.get('diagnostics', 0) / (days + 1):.0f} security checks a day",
        f"  downloads: {per_day.get('releases', 0) / (days + 1):.0f} log lines a day (--downloads {args.downloads})",
        f"  push-proxy requests: {per_day.get('push_proxy', 0) / (days + 1):.0f} a day over the regions "
        f"(--pushes {args.pushes})",
        f"  license rows: {per_day.get('licenses', 0)} (one export a day)",
        f"  Salesforce: {tables['orgm.account']} accounts, {tables['orgm.opportunitylineitem']} line items, "
        f"{sum(n for name, n in tables.items() if name.startswith('orgm.'))} rows in all",
        f"  Segment events: {segment}",
        f"  landing files: {len(ds.files)}",
    ])  # fmt: skip


def rows(cells: Iterator[tuple[str, ...]]) -> str:
    table = list(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in table
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365, help="days of history")
    parser.add_argument("--week", type=int, default=7, help="days of the short history the day is compared on")
    # The default volumes: about 70,000 files and 1.8 M rows, a backfill of a few minutes on two cores.
    parser.add_argument("--servers", type=int, default=100)
    parser.add_argument("--downloads", type=int, default=2000, help="downloads a day (release log lines)")
    parser.add_argument("--pushes", type=int, default=2000, help="push-proxy requests a day")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    day = date.today() - timedelta(days=2)  # settled, as in the demo
    work = Path(tempfile.mkdtemp(prefix="bench-year-"))
    bench = Bench(work)
    try:
        datasets = {
            n: generate(day - timedelta(days=d), d + 1, args.servers, 42, DIRT, args.downloads, args.pushes)
            for n, d in (("year", args.days), ("week", args.week))
        }
        print(assumptions(datasets["year"], args.days, args), flush=True)
        histories = {
            n: build_history(bench, n, datasets[n], day, d) for n, d in (("year", args.days), ("week", args.week))
        }
        runs: dict[tuple[str, int], list[Day]] = {("year", 1): [], ("week", 1): [], ("year", 2): []}
        for round_ in range(args.rounds):
            for name, workers in runs:
                runs[name, workers].append(ordinary_day(bench, histories[name], day, workers, round_))
        print(report(histories["year"], args.days, runs))
    finally:
        bench.postgres.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def report(year: History, days: int, runs: dict[tuple[str, int], list[Day]]) -> str:
    total = sum(year.backfill.values(), Timing())
    lines = [f"\nBackfill of {days} days: {year.loaded_rows} rows into the warehouse's raw tables"]
    lines.append(rows(iter([
        ("stage", "wall s", "scheduling s", "peak MB"),
        *((n, f"{t.wall:.1f}", f"{t.scheduling:.1f}", f"{t.peak_mb:.0f}") for n, t in year.backfill.items()),
        ("total", f"{total.wall:.1f}", f"{total.scheduling:.1f}", f"{total.peak_mb:.0f}"),
    ])))  # fmt: skip
    lines.append(f"end to end {year.loaded_rows / total.wall:.0f} rows/s")
    best = {key: min(found, key=lambda d: d.wall) for key, found in runs.items()}
    wall = {key: d.wall for key, d in best.items()}
    stages = list(best["year", 1].timings)
    lines.append(f"\nThe ordinary day ({year.day_rows} new lines and rows), best of {len(runs['year', 1])}, wall s:")
    lines.append(rows(iter([
        ("history, workers", *stages, "total", "scheduling", "raw rows added", "runs"),
        *((f"{n}, {w}", *(f"{best[n, w].timings[s].wall:.1f}" for s in stages), f"{wall[n, w]:.1f}",
           f"{sum(t.scheduling for t in best[n, w].timings.values()):.1f}", str(best[n, w].added),
           ", ".join(f"{d.wall:.1f}" for d in runs[n, w])) for n, w in runs),
    ])))  # fmt: skip
    lines.append(f"day on a year / day on a week: {wall['year', 1] / wall['week', 1]:.2f} (target <= 1.3)")
    lines.append(f"day on a year, --workers 2 / --workers 1: {wall['year', 2] / wall['year', 1]:.2f} (target < 1)")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
