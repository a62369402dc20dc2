"""Nightly license exports (devdata.licenses): the full list as of each day, consistent with Segment."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from devdata.generate import Dataset
from tests.devdata.conftest import files_under, text


def test_license_exports(dataset: Dataset) -> None:
    previous: set[tuple[str, ...]] = set()
    for f in sorted(files_under(dataset, "licenses/"), key=lambda f: f.key):
        day = date.fromisoformat(f.key.split("/")[1])
        rows = {tuple(r) for r in csv.reader(io.StringIO(text(f)))}
        assert all(len(r) == 8 for r in rows) and previous <= rows
        end_ms = (datetime.combine(day + timedelta(days=1), datetime.min.time()) - datetime(1970, 1, 1)) \
            // timedelta(milliseconds=1)
        assert all(int(r[6]) < end_ms and int(r[6]) < int(r[7]) and len(r[5]) == 26 for r in rows)
        previous = rows
    assert any(r[1].endswith(" - Trial") for r in previous)
    licensed = {r[5] for r in previous}
    segment = next(t for t in dataset.segment if t.name == "license")
    assert {row[segment.column_names.index("license_id")] for row in segment.rows} <= licensed
