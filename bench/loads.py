"""Loading gigabytes of CloudFront and ALB logs into DuckDB: the pipeline against DuckDB's reader alone.

Generates the logs once (devdata.bulk), then, each in a fresh child process on the same files:
  - pipeline: the daily load tasks through Luigi (listing, gzip checks, load history, rejects, markers;
              Luigi runs the ready days of a source as one batch, as in a catch-up),
  - reader:   one `CREATE TABLE AS SELECT * FROM read_csv([...])` per source with the same CSV options.
Both run --repeat times, taking turns (the machine is shared: the best run of each is compared). Prints rows/s of
the best of both, their ratio (target: 0.8 or more) and the highest peak memory of each; the pipeline also runs on
the first quarter of the days, to show its memory does not grow with the input.

    PYTHONPATH=. .venv/bin/python bench/loads.py [--gigabytes 2] [--repeat 3] [--root /tmp/bench-loads]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

DAYS = 30
START = date(2026, 1, 1)


def child_pipeline(root: Path, days: int) -> dict:
    import luigi

    import devdata
    from targets.warehouse.connect import connect
    from tasks.extract.sources import LoadPushProxyLogs, LoadReleaseLogs, LoadSecurityCheckLogs

    os.environ.update(devdata.LOCATIONS)
    config = luigi.configuration.get_config()
    config.set("warehouse", "duckdb_dir", str(root / "warehouse-pipeline"))
    config.set("landing", "url", str(root / "landing"))
    tasks = []
    for i in range(days):
        day = START + timedelta(days=i)
        tasks += [LoadSecurityCheckLogs(date=day), LoadReleaseLogs(date=day), LoadPushProxyLogs(date=day, region="us")]
    started = time.perf_counter()
    ok = luigi.build(tasks, local_scheduler=True, log_level="WARNING")
    seconds = time.perf_counter() - started
    tables = ("raw.diagnostics.log_entries", "raw.releases.log_entries", "raw.push_proxy.logs")
    with connect("bench") as s:
        rows = sum(s.execute(f"SELECT count(*) FROM {t}")[0][0] for t in tables)
    return {"ok": ok, "rows": rows, "seconds": seconds}


def child_reader(root: Path, days: int) -> dict:
    import duckdb

    from targets.formats import ALB, CLOUDFRONT

    landing = root / "landing"
    wanted = {(START + timedelta(days=i)).isoformat() for i in range(days)}
    wanted |= {d.replace("-", "/") for d in wanted}

    def files(prefix: str) -> list[str]:
        return sorted(str(p) for p in (landing / prefix).rglob("*.gz") if any(d in str(p) for d in wanted))

    con = duckdb.connect(str(root / "reader.duckdb"))
    started = time.perf_counter()
    rows = 0
    # As wide as the widest lines AWS writes (CloudFront's 33 fields and a trailing tab; ALB's 35 fields).
    sources = (("diagnostics", CLOUDFRONT, "diagnostics", 34), ("releases", CLOUDFRONT, "releases", 34),
               ("push_proxy", ALB, "push_proxy/us", 35))  # fmt: skip
    for name, fmt, prefix, width in sources:
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
        comment = f", comment = '{fmt.comment}'" if fmt.comment else ""
        quote = fmt.quote.replace("'", "''")
        con.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, columns = {columns}, delim = '{fmt.delimiter}', "
            f"quote = '{quote}', escape = '{quote}', header = false, auto_detect = false, "
            f"null_padding = true{comment})",
            [files(prefix)],
        )
        rows += con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    return {"ok": True, "rows": rows, "seconds": time.perf_counter() - started}


def run_child(kind: str, root: Path, days: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--root", str(root), "--days", str(days)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def rate(run: dict) -> float:
    return run["rows"] / run["seconds"]


def best(found: list[dict]) -> dict:
    """The fastest run, with the highest peak memory of all (memory must stay flat in every one)."""
    fastest = max(found, key=rate)
    failed = [r for r in found if not r["ok"]]
    return {**fastest, "ok": not failed, "peak_mb": max(r["peak_mb"] for r in found)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--root", type=Path)
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the pipeline and of the reader, in turns")
    parser.add_argument("--child", choices=("pipeline", "reader"))
    args = parser.parse_args()
    if args.child:
        result = (child_pipeline if args.child == "pipeline" else child_reader)(args.root, args.days)
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    from devdata.bulk import bulk_logs

    root = args.root or Path(tempfile.mkdtemp(prefix="bench-loads-"))
    if not (root / "landing").exists():
        stats = bulk_logs(str(root / "landing"), int(args.gigabytes * 1e9), START, DAYS)
        print(f"generated {stats.raw_bytes / 1e9:.2f} GB ({stats.gzip_bytes / 1e9:.2f} GB gzip) in {stats.files} "
              f"files, {stats.lines} lines, {stats.seconds:.0f} s")  # fmt: skip
    shutil.rmtree(root / "warehouse-pipeline", ignore_errors=True)
    small = run_child("pipeline", root, max(1, args.days // 4))
    runs: dict[str, list[dict]] = {"pipeline": [], "reader": []}
    for _ in range(args.repeat):
        shutil.rmtree(root / "warehouse-pipeline", ignore_errors=True)
        (root / "reader.duckdb").unlink(missing_ok=True)
        for kind, found in runs.items():
            found.append(run_child(kind, root, args.days))
    pipeline, reader = best(runs["pipeline"]), best(runs["reader"])
    quarter = f"pipeline, first {max(1, args.days // 4)} days"
    for name, r in ((quarter, small), ("pipeline", pipeline), ("DuckDB reader alone", reader)):
        print(f"{name:<28} {r['rows']:>11,} rows {r['seconds']:7.1f} s {r['rows'] / r['seconds']:>11,.0f} rows/s "
              f"peak {r['peak_mb']:6.0f} MB {'' if r['ok'] else 'FAILED'}")  # fmt: skip
    each = ", ".join(f"{rate(p) / rate(r):.2f}" for p, r in zip(runs["pipeline"], runs["reader"], strict=True))
    print(
        f"pipeline / reader = {rate(pipeline) / rate(reader):.2f}, best of {args.repeat} each (target >= 0.8; "
        f"each turn's: {each}); "
        f"peak memory at {small['rows']:,} vs {pipeline['rows']:,} rows: {small['peak_mb']:.0f} MB vs "
        f"{pipeline['peak_mb']:.0f} MB"
    )
    if not args.root:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
