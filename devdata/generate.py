"""Deterministic sample data for every source of the pipeline (their layouts: docs/warehouse-layout.md).

    python -m devdata.generate --landing data/landing --start 2026-11-18 --days 7 --servers 200 --seed 42 \\
        [--postgres-dsn DSN] [--duckdb-dir data/warehouse] [--skip-late] [--no-dirt]
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from devdata.alb import push_proxy_files
from devdata.cloudfront import diagnostics_files, releases_files
from devdata.licenses import license_files
from devdata.model import DirtOptions, DirtRecord, LandingFile, Table
from devdata.salesforce import orgm_tables
from devdata.segment import segment_tables
from devdata.world import World, build_world
from devdata.writers import write_duckdb, write_files, write_postgres


@dataclass
class Dataset:
    files: list[LandingFile]
    segment: list[Table]
    orgm: list[Table]
    dirt: DirtRecord
    world: World  # the simulated servers and customers, to derive expected results from


def generate(start: date, days: int, servers: int, seed: int = 42, dirt: DirtOptions | None = None,
             downloads_per_day: int | None = None, pushes_per_day: int | None = None) -> Dataset:
    """Every source for `days` days from `start`; the same arguments always give identical bytes and rows."""
    if days < 1 or servers < 1:
        raise ValueError("days and servers must be at least 1")
    dirt = dirt or DirtOptions()
    record = DirtRecord()
    world = build_world(seed, start, days, servers, dirt, record)
    files = (diagnostics_files(world, seed, dirt, record)
             + releases_files(world, seed, dirt, record, downloads_per_day or max(20, servers // 2))
             + push_proxy_files(world, seed, dirt, record, pushes_per_day or 3 * servers)
             + license_files(world))
    return Dataset(files, segment_tables(world, seed, dirt, record), orgm_tables(world, seed, record), record, world)


def summary(dataset: Dataset) -> str:
    files, late, lines = Counter(), Counter(), Counter()
    for f in dataset.files:
        source = f.key.split("/")[0]
        files[source] += 1
        late[source] += f.late
        lines[source] += f.lines
    out = [f"{source}: {files[source]} files ({late[source]} late), {lines[source]} lines" for source in files]
    out += [f"{t.schema}.{t.name}: {len(t.rows)} rows" for t in dataset.segment + dataset.orgm]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devdata.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--landing", default="data/landing", help="folder or s3://bucket/prefix")
    parser.add_argument("--start", type=date.fromisoformat, help="first day (default: so the last day is yesterday)")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--postgres-dsn", help="write the orgm tables to this PostgreSQL")
    parser.add_argument("--duckdb-dir", help="write Segment and orgm tables to <dir>/raw.duckdb")
    parser.add_argument("--skip-late", action="store_true", help="leave out the files that land late")
    parser.add_argument("--no-dirt", action="store_true", help="generate clean data")
    args = parser.parse_args(argv)
    start = args.start or datetime.now(UTC).date() - timedelta(days=args.days)
    dataset = generate(start, args.days, args.servers, args.seed, DirtOptions.clean() if args.no_dirt else None)
    written = write_files([f for f in dataset.files if not (args.skip_late and f.late)], args.landing)
    if args.postgres_dsn:
        write_postgres(dataset.orgm, args.postgres_dsn)
    if args.duckdb_dir:
        Path(args.duckdb_dir).mkdir(parents=True, exist_ok=True)
        with duckdb.connect() as con:
            con.execute("ATTACH ? AS raw", [str(Path(args.duckdb_dir, "raw.duckdb"))])
            write_duckdb(dataset.segment + dataset.orgm, con)
    print(f"{start} + {args.days} days, {args.servers} servers, seed {args.seed}: {written} files to {args.landing}")
    print(summary(dataset))


if __name__ == "__main__":
    main()
