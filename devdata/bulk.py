"""Gigabytes of CloudFront and ALB logs for benchmarks, fast: files are cut from pools of pre-rendered lines.

    python -m devdata.bulk --root data/bench-landing --gigabytes 2 [--start 2026-01-01 --days 30]
"""

from __future__ import annotations

import argparse
import gzip
import random
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

from devdata.alb import BALANCERS, alb_key, push_line
from devdata.cloudfront import (
    DIAGNOSTIC_LOCATION_ONE,
    DIAGNOSTIC_LOCATION_TWO,
    RELEASE_LOCATION,
    catalog,
    cloudfront_key,
    download_line,
    header,
    security_line,
)
from devdata.logfiles import Line
from devdata.model import DirtOptions, DirtRecord, at, seeded, upper_id
from devdata.world import build_world
from devdata.writers import Sink, open_sink

# Share of the bytes per source, and (landing prefix, file-name id) of each CloudFront location.
SHARES = {"diagnostics": 0.4, "releases": 0.15, "push_proxy": 0.45}
_LOCATIONS = {
    "diagnostics": [(f"diagnostics/{loc}", loc) for loc in (DIAGNOSTIC_LOCATION_ONE, DIAGNOSTIC_LOCATION_TWO)],
    "releases": [(f"releases/{RELEASE_LOCATION}", RELEASE_LOCATION)],
}


@dataclass(frozen=True)
class BulkStats:
    files: int
    lines: int
    raw_bytes: int  # uncompressed
    gzip_bytes: int  # as written
    seconds: float


def bulk_logs(root: str, target_bytes: int, start: date = date(2026, 1, 1), days: int = 30, seed: int = 42,
              file_bytes: int = 2_000_000, pool_lines: int = 2_000, workers: int = 4) -> BulkStats:
    """Write about `target_bytes` (uncompressed) of valid, clean log lines under `root`, spread over `days` days.

    Each source gets its SHARES part in files of about `file_bytes`; each file holds consecutive lines of its
    hour's pool (`pool_lines` lines), so lines repeat across files but dates, hours and names are right.
    """
    began = time.monotonic()
    pools = _pools(seed, start, pool_lines)
    sink = open_sink(root)
    files = lines = raw = packed = 0
    with ThreadPoolExecutor(workers) as executor:  # zlib releases the GIL, so compression runs in parallel
        pending: deque[Future[int]] = deque()
        for key, text, count in _texts(pools, seed, start, days, target_bytes, file_bytes):
            pending.append(executor.submit(_compress_write, sink, key, text))
            files, lines, raw = files + 1, lines + count, raw + len(text)
            while len(pending) > 2 * workers:  # bound the memory held by queued texts
                packed += pending.popleft().result()
        packed += sum(f.result() for f in pending)
    return BulkStats(files, lines, raw, packed, time.monotonic() - began)


def _compress_write(sink: Sink, key: str, text: bytes) -> int:
    data = gzip.compress(text, compresslevel=1, mtime=0)
    sink(key, data)
    return len(data)


def _pools(seed: int, day: date, size: int) -> dict[str, list[list[bytes]]]:
    """Per source, 24 hourly pools of rendered lines dated `day` (data lines only, newline-terminated)."""
    rng = seeded(seed, "bulk")
    world = build_world(seed, day, 1, max(100, size * 12), DirtOptions.clean(), DirtRecord())
    artifacts = catalog(rng)
    clients = [s.ip for s in world.servers]
    pools: dict[str, list[list[bytes]]] = {source: [] for source in SHARES}
    for hour in range(24):
        moments = sorted(at(day, hour * 3600 + rng.uniform(1, 3599)) for _ in range(size))
        servers = rng.sample(world.servers, size)
        pools["diagnostics"].append([_bytes(security_line(rng, s, m, s.ip, False), "\t")
                                     for s, m in zip(servers, moments, strict=True)])
        pools["releases"].append([_bytes(download_line(rng, m, artifacts), "\t") for m in moments])
        pools["push_proxy"].append([_bytes(push_line(rng, BALANCERS[0], m, rng.choice(clients)), " ")
                                    for m in moments])
    return pools


def _bytes(line: Line, sep: str) -> bytes:
    return (sep.join(line.fields) + "\n").encode()


def _texts(pools: dict[str, list[list[bytes]]], seed: int, start: date, days: int, target: int,
           file_bytes: int) -> Iterator[tuple[str, bytes, int]]:
    """(key, uncompressed text, line count) per file, sources interleaved, slots cycling over days and hours."""
    rng = seeded(seed, "bulk-files")
    pool_day = start.isoformat().encode()
    budgets = {source: share * target for source, share in SHARES.items()}
    slot = 0
    while any(b > 0 for b in budgets.values()):
        day, hour = start + timedelta(days=(slot // 24) % days), slot % 24
        for source, pool in pools.items():
            if budgets[source] <= 0:
                continue
            lines = _cut(rng, pool[hour], min(file_bytes, int(budgets[source]) + 1))
            body = b"".join(lines).replace(pool_day, day.isoformat().encode())
            key, body = _frame(rng, source, slot, day, hour, body)
            budgets[source] -= len(body)
            yield key, body, len(lines)
        slot += 1


def _cut(rng: random.Random, pool: list[bytes], size: int) -> list[bytes]:
    """Consecutive pool lines (wrapping) from a random offset, about `size` bytes."""
    offset, lines, total = rng.randrange(len(pool)), [], 0
    while total < size:
        line = pool[(offset + len(lines)) % len(pool)]
        lines.append(line)
        total += len(line)
    return lines


def _frame(rng: random.Random, source: str, slot: int, day: date, hour: int, body: bytes) -> tuple[str, bytes]:
    """The file's key, and its text with the CloudFront header where the source has one."""
    if source == "push_proxy":
        node = BALANCERS[0].nodes[slot % len(BALANCERS[0].nodes)]
        suffix = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=8))
        return alb_key(BALANCERS[0], at(day, hour * 3600 + 55 * 60), node, suffix), body
    prefix, dist = _LOCATIONS[source][slot % len(_LOCATIONS[source])]
    head = "".join(h + "\n" for h in header(False)).encode()
    return cloudfront_key(prefix, dist, day, hour, upper_id(rng, 11)), head + body


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devdata.bulk", description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="folder or s3://bucket/prefix")
    parser.add_argument("--gigabytes", type=float, default=2.0, help="uncompressed size to write")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 1, 1))
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    stats = bulk_logs(args.root, int(args.gigabytes * 1e9), args.start, args.days, args.seed)
    print(f"{stats.files} files, {stats.lines} lines, {stats.raw_bytes / 1e9:.2f} GB raw, "
          f"{stats.gzip_bytes / 1e9:.2f} GB gzip, {stats.seconds:.1f} s")


if __name__ == "__main__":
    main()
