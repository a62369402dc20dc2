"""The sample dataset the devdata tests look at, and readers of its files."""

from __future__ import annotations

import gzip
import re
from datetime import date

import pytest

from devdata import LandingFile, LinePos
from devdata.generate import Dataset, generate

START, DAYS, SERVERS, SEED = date(2026, 11, 18), 3, 60, 7
CLOUDFRONT_NAME = re.compile(
    r"^(?:.*/)?(?P<dist>[A-Z0-9]+)\.(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})-(?P<h>\d{2})\.(?P<uid>[^.]+)\.gz$")
ALB_NAME = re.compile(
    r"^push_proxy/(?P<lb_prefix>us|test|de)/AWSLogs/(?P<acct>\d{12})/elasticloadbalancing/(?P<region>[a-z0-9-]+)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P=acct)_elasticloadbalancing_(?P=region)_app\.(?P<lb>[a-z0-9-]+)\."
    r"(?P<lbid>[0-9a-f]+)_(?P=y)(?P=m)(?P=d)T\d{4}Z_(?P<ip>[\d.]+)_(?P<random>[a-z0-9]+)\.log\.gz$")
ALB_TOKEN = re.compile(r'"[^"]*"|\S+')


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return generate(START, DAYS, SERVERS, SEED)


def text(f: LandingFile) -> str:
    return (gzip.decompress(f.data) if f.key.endswith(".gz") else f.data).decode()


def files_under(ds: Dataset, prefix: str) -> list[LandingFile]:
    return [f for f in ds.files if f.key.startswith(prefix)]


def cloudfront_rows(ds: Dataset, prefix: str) -> list[tuple[LandingFile, int, list[str]]]:
    """(file, physical line number, fields) of every data line."""
    return [(f, n, line.split("\t")) for f in files_under(ds, prefix)
            for n, line in enumerate(text(f).splitlines(), start=1) if not line.startswith("#")]


def positions(items: list[LinePos]) -> set[tuple[str, int]]:
    return {(p.key, p.line) for p in items}
