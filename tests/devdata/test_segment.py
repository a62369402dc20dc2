"""Segment telemetry tables (devdata.segment)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from devdata.generate import Dataset


def test_segment_tables(dataset: Dataset) -> None:
    common = ["id", "user_id", "event", "event_text", "timestamp", "received_at", "sent_at", "original_timestamp",
              "context_library_version"]
    tables = {t.name: t for t in dataset.segment}
    for table in tables.values():
        assert table.column_names[:9] == common and len(set(table.column_names)) == len(table.columns)
        assert all(isinstance(row[4], datetime) and row[5] >= row[6] >= row[4] for row in table.rows)
    assert sum(c.startswith("feature_") for c in tables["license"].column_names) >= 5
    reporting = Counter((row[1], row[4].date()) for row in tables["server"].rows)
    assert not {s for s, _ in reporting} & set(dataset.dirt.tracking_disabled_servers)
    assert {k for k, v in reporting.items() if v == 2} == set(dataset.dirt.segment_duplicates)
    assert all(0 <= row[tables["nps_score"].column_names.index("score")] <= 10 for row in tables["nps_score"].rows)
