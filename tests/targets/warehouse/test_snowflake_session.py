"""The Snowflake session through the real connector on fakesnow, behind the recording account
(tests/snowflake_account.py): what it sends to make sure of tables, to read the catalog, to copy a unit of files
whose rows carry ``_file`` in any shape, and to load a local file."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from targets.formats import CLOUDFRONT, CopySpec, FileResult, StagedFile
from targets.markers.stores import MARKER_COLUMNS, marker_table
from targets.warehouse import ledger
from targets.warehouse.connect import connect
from targets.warehouse.snowflake_session import NotBootstrappedError

SPEC = CopySpec(
    "raw.diagnostics.log_entries",
    "raw.diagnostics.diagnostics_stage",
    "s3://landing-bucket/bizops/diagnostics",
    "ESECCHECKONE01",
    r"ESECCHECKONE01/.*\.gz",
    CLOUDFRONT,
)


def sent_since(account, start: int) -> list[str]:
    return [s.sql for s in account.sent[start:]]


@pytest.mark.parametrize("profile", ["loader", "transformer", "permission_bot"])
def test_a_bootstrapped_table_is_checked_never_created(snowflake, profile):
    """Snowflake checks the CREATE privilege even for CREATE ... IF NOT EXISTS of an object that exists: a role
    without it (the transformer on raw) would fail on every run."""
    start = len(snowflake.sent)
    with connect("t", profile) as s:
        s.ensure_table(marker_table(), MARKER_COLUMNS)
        s.ensure_tables(ledger.BOOKKEEPING)
    sent = sent_since(snowflake, start)
    assert len(sent) == 2 and all(sql.startswith("SELECT table_schema, table_name, column_name") for sql in sent)


def test_a_missing_table_or_column_names_the_bootstrap(snowflake):
    with connect("t", "transformer") as s:
        with pytest.raises(NotBootstrappedError, match=r"raw\.pipeline\.nowhere does not exist .* `python -m "
                           r"ops\.snowflake bootstrap --apply`"):  # fmt: skip
            s.ensure_table("raw.pipeline.nowhere", MARKER_COLUMNS)
        with pytest.raises(NotBootstrappedError, match=r"raw\.pipeline\.markers lacks column\(s\) shiny"):
            s.ensure_table(marker_table(), [*MARKER_COLUMNS, ("shiny", "VARCHAR")])


def test_the_catalog_is_read_by_schema_and_table_apart(snowflake):
    """Snowflake narrows an information_schema scan only by plain conditions on the schema and the table: one on
    an expression over both reads the whole database's catalog (error 090030 on a big one)."""
    with connect("t") as s:
        s.execute("CREATE TABLE raw.orgm.load_history (x VARCHAR)")  # the wrong pair of a schema and a table
        start = len(snowflake.sent)
        found = s.tables_columns(["raw.pipeline.load_history", "raw.orgm.missing", "raw.pipeline.markers"])
    assert [c for c, _ in found["raw.pipeline.load_history"]] == [c for c, _ in ledger.BOOKKEEPING[ledger.LOAD_HISTORY]]
    assert found["raw.orgm.missing"] == [] and len(found["raw.pipeline.markers"]) == len(MARKER_COLUMNS)
    [query] = sent_since(snowflake, start)
    where = sqlglot.parse_one(query, read="snowflake").args["where"].this
    conditions = list(where.flatten()) if isinstance(where, exp.And) else [where]
    assert [(type(c).__name__, c.this.name) for c in conditions] == [("In", "table_schema"), ("In", "table_name")]


def raw_row(s, file: str, row: int, fields: list[str | None]) -> None:
    cols = ", ".join(CLOUDFRONT.columns)
    marks = ", ".join("?" for _ in range(len(CLOUDFRONT.columns) + 2))
    s.execute(f"INSERT INTO {SPEC.table} ({cols}, _file, _row) VALUES ({marks})", (*fields, file, row))


FULL = ["2026-11-25", "03:04:05"] + ["v"] * (len(CLOUDFRONT.columns) - 2)
SHORT = FULL[:5] + [None] * (len(CLOUDFRONT.columns) - 5)


@pytest.mark.parametrize(
    "shape", ["{name}", "bizops/diagnostics/{name}", "s3://landing-bucket/bizops/diagnostics/{name}"],
    ids=["stage-relative", "bucket path", "full URL"],
)  # fmt: skip
def test_rows_are_found_by_file_whatever_shape_metadata_filename_has(snowflake, shape):
    """Short rows become rejects under the stage-relative name, and a reload replaces the file's rows, when
    ``_file`` (METADATA$FILENAME) holds the name in any shape - otherwise every reload would double them."""
    name = "ESECCHECKONE01/a.gz"
    unit = [StagedFile(name, f"{SPEC.stage_url}/{name}", 1)]
    with connect("t") as s:

        def copy(table: str, urls: list[str], forced: bool) -> list[tuple]:
            """The COPY, as the account runs it: the file's two lines, one missing fields, with METADATA$FILENAME."""
            for row, fields in [(1, FULL), (2, SHORT)]:
                raw_row(s, shape.format(name=name), row, fields)
            return [(urls[0], "LOADED", 2, 2, 1, 0, None, None, None, None)]

        snowflake.copy_answer = copy
        for replacing in (False, True):
            with s.transaction():
                results, rejects = s.copy_files(SPEC, unit, replacing)
            assert results == [FileResult(name, "PARTIALLY_LOADED", 2, 1, 1)]
            assert [(j.file, j.line, j.error) for j in rejects] == [(name, 4, "MISSING FIELDS: expected 26 fields")]
            assert s.execute(f"SELECT _file, _row FROM {SPEC.table}") == [(shape.format(name=name), 1)]


def test_a_new_files_rows_left_by_an_earlier_loader_are_replaced(snowflake):
    """COPY is forced (the ledger decides), so rows an earlier loader left for a file new to the ledger go first."""
    name = "ESECCHECKONE01/a.gz"
    snowflake.copy_answer = lambda table, urls, forced: [(u, "LOADED", 0, 0, 1, 0, *[None] * 4) for u in urls]
    with connect("t") as s:
        raw_row(s, f"bizops/diagnostics/{name}", 1, FULL)
        with s.transaction():
            s.copy_files(SPEC, [StagedFile(name, f"{SPEC.stage_url}/{name}", 1)], replacing=False)
        assert s.execute(f"SELECT count(*) FROM {SPEC.table}") == [(0,)]


def test_local_files_go_through_the_loaders_upload_stage(snowflake, tmp_path):
    """A table's own stage takes files only from the table's owner: an earlier loader's table refuses them."""
    path = tmp_path / "t.csv"
    path.write_text('1,"a ""b"""\n2,\n')
    with connect("t") as s:
        s.execute("CREATE TABLE raw.orgm.t (id NUMBER(38,0), name VARCHAR)")
        start = len(snowflake.sent)
        assert s.load_csv("raw.orgm.t", ["id", "name"], path) == 2
        put, copy = sent_since(snowflake, start)
        assert s.execute("SELECT id, name FROM raw.orgm.t ORDER BY id") == [(1, 'a "b"'), (2, None)]
    assert put.startswith(f"PUT 'file://{path}' @raw.pipeline.uploads/load_")
    assert copy.startswith("COPY INTO raw.orgm.t (id, name) FROM @raw.pipeline.uploads/load_")
