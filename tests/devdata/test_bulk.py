"""Benchmark volumes of CloudFront and ALB logs (devdata.bulk)."""

from __future__ import annotations

import gzip
from pathlib import Path

from devdata.bulk import bulk_logs
from tests.devdata.conftest import ALB_NAME, ALB_TOKEN, CLOUDFRONT_NAME, START


def test_bulk_logs(tmp_path: Path) -> None:
    stats = bulk_logs(str(tmp_path), 3_000_000, START, days=2, file_bytes=400_000, pool_lines=100)
    assert stats.raw_bytes >= 3_000_000 and stats.files == len(list(tmp_path.rglob("*.gz")))
    for path in tmp_path.rglob("*.gz"):
        key = path.relative_to(tmp_path).as_posix()
        lines = gzip.decompress(path.read_bytes()).decode().splitlines()
        if key.startswith("push_proxy/"):
            assert ALB_NAME.match(key) and all(len(ALB_TOKEN.findall(line)) == 25 for line in lines)
        else:
            name = CLOUDFRONT_NAME.match(key)
            assert name and lines[0] == "#Version: 1.0"
            assert all(len(f) == 26 and f[0] == f"{name['y']}-{name['m']}-{name['d']}" and f[1][:2] == name["h"]
                       for f in (line.split("\t") for line in lines[2:]))
