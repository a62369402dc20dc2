"""The Snowflake backend: its SQL through the real connector on fakesnow where fakesnow supports it
(DDL, markers, load history, rejects), and as generated text where it does not (transforming COPY with
FILES/PATTERN, ON_ERROR, ERROR_ON_COLUMN_COUNT_MISMATCH: platform-facts §4)."""

from __future__ import annotations

from datetime import date

import pytest

from targets import markers, warehouse
from targets.formats import ALB, CLOUDFRONT, META_COLUMNS, CopySpec, FileResult, StagedFile
from targets.markers import MARKER_COLUMNS, marker_table
from targets.snowflake_backend import (
    copy_sql,
    file_format_sql,
    parse_copy_results,
    short_rows_sql,
    stage_sql,
)
from tasks.extract.sources import SECURITY_CHECK, LoadLicenses

SPEC = CopySpec(
    "raw.diagnostics.log_entries",
    "raw.diagnostics.diagnostics_stage",
    "s3://landing-bucket/bizops/diagnostics",
    "ESECCHECKONE01",
    r"ESECCHECKONE01/ESECCHECKONE01\.2026-11-25-\d{2}\.[^./]+\.gz",
    CLOUDFRONT,
)


def test_copy_sql_selects_files_explicitly_with_file_metadata():
    sql = copy_sql(SPEC, ["ESECCHECKONE01/ESECCHECKONE01.2026-11-25-03.a1.gz", "it's/odd.gz"])
    assert sql.startswith(
        "COPY INTO raw.diagnostics.log_entries (logdate, logtime, edge, bytessent, cip, method, host, uri, status,"
    )
    assert "_file, _row, _loaded_at)" in sql
    assert (
        "FROM (SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, "
        "$21, $22, $23, $24, $25, $26, METADATA$FILENAME, METADATA$FILE_ROW_NUMBER, CURRENT_TIMESTAMP() "
        "FROM @raw.diagnostics.diagnostics_stage)" in sql
    )
    assert "FILES = ('ESECCHECKONE01/ESECCHECKONE01.2026-11-25-03.a1.gz', 'it\\'s/odd.gz')" in sql
    assert "FILE_FORMAT = (FORMAT_NAME = 'raw.pipeline.cloudfront_log')" in sql
    assert "ON_ERROR = CONTINUE" in sql
    assert "PATTERN" not in sql and "FORCE" not in sql


def test_copy_sql_by_pattern_and_forced():
    sql = copy_sql(SPEC, force=True)
    assert "PATTERN = 'ESECCHECKONE01/ESECCHECKONE01\\\\.2026-11-25-\\\\d{2}\\\\.[^./]+\\\\.gz'" in sql
    assert "FILES" not in sql
    assert sql.endswith("ON_ERROR = CONTINUE\nFORCE = TRUE")


def test_copy_sql_refuses_more_files_than_snowflake_takes():
    with pytest.raises(ValueError, match="1 to 1000 files"):
        copy_sql(SPEC, [f"f{i}.gz" for i in range(1001)])


def test_file_formats_tolerate_extra_fields_and_never_carry_credentials():
    cf = file_format_sql(CLOUDFRONT)
    assert "FIELD_DELIMITER = '\t'" in cf and "SKIP_HEADER = 2" in cf and "COMPRESSION = GZIP" in cf
    assert "ERROR_ON_COLUMN_COUNT_MISMATCH = FALSE" in cf
    assert "FIELD_OPTIONALLY_ENCLOSED_BY = '\"'" in file_format_sql(ALB)
    stage = stage_sql(SPEC, "S3_LANDING")
    assert "STORAGE_INTEGRATION = S3_LANDING" in stage and "CREDENTIALS" not in stage
    assert "URL = 's3://landing-bucket/bizops/diagnostics/'" in stage


def test_copy_results_parse_both_shapes():
    names = ["file", "status", "rows_parsed", "rows_loaded", "error_limit", "errors_seen", "first_error",
             "first_error_line", "first_error_character", "first_error_column_name"]  # fmt: skip
    rows = [
        ("s3://b/f1.gz", "LOADED", 10, 10, 1, 0, None, None, None, None),
        ("s3://b/f2.gz", "PARTIALLY_LOADED", 10, 8, 10, 2, "Invalid UTF8", 4, 3, "x"),
        ("s3://b/f3.gz", "load skipped", 0, 0, 0, 0, "File was loaded before.", None, None, None),
    ]
    parsed = parse_copy_results(rows, [n.upper() for n in names], "s3://b/")
    assert parsed[1] == FileResult("f2.gz", "PARTIALLY_LOADED", 10, 8, 2, "Invalid UTF8", 4)
    assert parsed[2].status == "LOAD_SKIPPED"
    assert parse_copy_results([("Copy executed with 0 files processed.",)], ["status"]) == []


def test_identifiers_are_validated_before_reaching_sql():
    bad = CopySpec("raw.x.t; DROP TABLE y", "raw.x.s", "s3://b", "", ".*", CLOUDFRONT)
    with pytest.raises(ValueError, match="invalid SQL identifier"):
        copy_sql(bad, ["f.gz"])


def test_markers_through_the_connector(snowflake):
    task = LoadLicenses(date=date(2026, 11, 20))
    assert not task.complete()
    with warehouse.connect("t") as s:
        assert s.backend == "snowflake"
        s.ensure_table(marker_table(), MARKER_COLUMNS)
        with s.transaction():
            task.output().write(s, 42)
    markers.forget_snapshots()
    assert task.complete()
    assert markers.snapshot().get(task.update_id()).row_count == 42
    with warehouse.connect("ops") as s, s.transaction():
        assert markers.delete_markers(s, [task.update_id()]) == 1
    markers.forget_snapshots()
    assert not task.complete()


def test_ledger_rejects_and_short_rows_through_the_connector(snowflake):
    fmt = SPEC.file_format
    files = ["ESECCHECKONE01/a.gz", "ESECCHECKONE01/b.gz"]
    with warehouse.connect("t") as s:
        s.ensure_bookkeeping()
        s.ensure_table(SPEC.table, [(c, "VARCHAR") for c in fmt.columns] + list(META_COLUMNS))
        full = ["2026-11-25", "03:04:05"] + ["v"] * (len(fmt.columns) - 2)
        short = full[:5] + [None] * (len(fmt.columns) - 5)
        bad_date = ["2026-13-45", *full[1:]]
        cols = ", ".join(fmt.columns)
        marks = ", ".join("?" for _ in range(len(fmt.columns) + 2))
        with s.transaction():
            for file, row, values in [(files[0], 1, full), (files[0], 2, short), (files[1], 1, full),
                                      (files[1], 2, bad_date)]:  # fmt: skip
                s.execute(f"INSERT INTO {SPEC.table} ({cols}, _file, _row) VALUES ({marks})", (*values, file, row))
            select, delete = short_rows_sql(SPEC, files)
            found = s.execute(select, files)
            s.execute(delete, files)
            s._record(SPEC.table, [FileResult(files[0], "PARTIALLY_LOADED", 2, 1, 1)], [])
        assert found == [
            (files[0], 4, "\t".join(full[:5]), "MISSING FIELDS: expected 26 fields"),
            (files[1], 4, "\t".join(bad_date), "BAD VALUE: logdate is not a DATE"),
        ]
        assert s.execute(f"SELECT count(*) FROM {SPEC.table}") == [(2,)]
        assert s.ledger(SPEC.table) == {files[0]: "PARTIALLY_LOADED"}
        assert s.invalidate_files(SPEC.table, r"ESECCHECKONE01/.*") == 1
        assert s.ledger(SPEC.table) == {files[0]: "INVALIDATED"}


def test_the_security_check_source_builds_one_spec_per_distribution(env):
    specs = SECURITY_CHECK.specs(date(2026, 11, 25))
    # Listed by the day's name prefix: one day of a distribution, not its whole history.
    assert [s.path for s in specs] == [f"{d}/{d}.2026-11-25-" for d in ("ESECCHECKONE01", "ESECCHECKTWO02")]
    assert specs[0].matches("ESECCHECKONE01/ESECCHECKONE01.2026-11-25-07.XYZ123.gz")
    assert not specs[0].matches("ESECCHECKONE01/ESECCHECKONE01.2026-11-26-07.XYZ123.gz")
    assert not specs[0].matches("ESECCHECKTWO02/ESECCHECKTWO02.2026-11-25-07.XYZ123.gz")
    assert StagedFile  # the listing type the loader hands to copy()
