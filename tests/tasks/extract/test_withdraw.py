"""A day over the reject threshold is withdrawn from the raw table on Snowflake, whatever shape of the file
names METADATA$FILENAME gave its rows (the recording account of tests/snowflake_account.py, on fakesnow)."""

from __future__ import annotations

import pytest

from targets.formats import CLOUDFRONT
from targets.warehouse.connect import connect
from tasks.extract.sources import LoadSecurityCheckLogs
from tests.tasks.conftest import SETTLED


@pytest.mark.parametrize("shape", ["relative", "bucket path", "full URL"])
def test_a_failed_days_rows_go_whatever_shape_their_file_name_has(snowflake, shape):
    task = LoadSecurityCheckLogs(date=SETTLED)
    source = task.source()
    name = f"ESECCHECKONE01/ESECCHECKONE01.{SETTLED}-03.A1.gz"
    url = f"{source.stage_url()}/{name}"
    stored = {"relative": name, "bucket path": url.split("://", 1)[1].split("/", 1)[1], "full URL": url}[shape]
    cols = ", ".join(CLOUDFRONT.columns)
    marks = ", ".join("?" for _ in CLOUDFRONT.columns)
    with connect("t") as s:
        s.execute(f"INSERT INTO {source.table} ({cols}, _file, _row) VALUES ({marks}, ?, 3)",
                  (*["1"] * len(CLOUDFRONT.columns), stored))  # fmt: skip
        s.execute(f"INSERT INTO {source.table} ({cols}, _file, _row) VALUES ({marks}, 'other.gz', 3)",
                  ["1"] * len(CLOUDFRONT.columns))  # fmt: skip
        task._withdraw(s, [name], 1)
        assert s.execute(f"SELECT _file FROM {source.table}") == [("other.gz",)]
