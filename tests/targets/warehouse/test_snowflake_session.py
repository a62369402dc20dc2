"""The Snowflake backend: its SQL through the real connector on fakesnow where fakesnow supports it
(DDL, load history, rejects), and as generated text where it does not (transforming COPY with
FILES/PATTERN, ON_ERROR, ERROR_ON_COLUMN_COUNT_MISMATCH, PUT to a table stage: platform-facts §4)."""

from __future__ import annotations

import pytest

from targets.formats import ALB, CLOUDFRONT, META_COLUMNS, CopySpec, FileResult
from targets.warehouse import ledger
from targets.warehouse.connect import connect
from targets.warehouse.snowflake_session import (
    CSV_FILE_FORMAT,
    copy_sql,
    file_format_sql,
    load_copy_sql,
    parse_copy_results,
    put_sql,
    short_rows_sql,
    stage_sql,
    table_stage,
)

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


def test_ledger_rejects_and_short_rows_through_the_connector(snowflake):
    fmt = SPEC.file_format
    files = ["ESECCHECKONE01/a.gz", "ESECCHECKONE01/b.gz"]
    with connect("t") as s:
        ledger.ensure(s)
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
            ledger.record(s, SPEC.table, [FileResult(files[0], "PARTIALLY_LOADED", 2, 1, 1)], [])
        assert found == [
            (files[0], 4, "\t".join(full[:5]), "MISSING FIELDS: expected 26 fields"),
            (files[1], 4, "\t".join(bad_date), "BAD VALUE: logdate is not a DATE"),
        ]
        assert s.execute(f"SELECT count(*) FROM {SPEC.table}") == [(2,)]
        assert ledger.read(s, SPEC.table) == {files[0]: "PARTIALLY_LOADED"}
        assert ledger.invalidate_files(s, SPEC.table, r"ESECCHECKONE01/.*") == 1
        assert ledger.read(s, SPEC.table) == {files[0]: "INVALIDATED"}


def test_the_snowflake_load_sql():
    assert table_stage("raw.orgm._scratch_user_ab12", "load_0a1b2c") == "@raw.orgm.%_scratch_user_ab12/load_0a1b2c/"
    assert put_sql("/tmp/x y/user.csv", "@raw.orgm.%t/f/") == (
        "PUT 'file:///tmp/x y/user.csv' @raw.orgm.%t/f/ AUTO_COMPRESS = TRUE OVERWRITE = TRUE PARALLEL = 4"
    )
    with pytest.raises(ValueError, match="unsupported character"):
        put_sql("/tmp/it's.csv", "@raw.orgm.%t/f/")
    sql = load_copy_sql("raw.orgm.account", ["sfid", "name"], "@raw.orgm.%account/f/")
    assert sql == (
        "COPY INTO raw.orgm.account (sfid, name) FROM @raw.orgm.%account/f/ FILE_FORMAT = "
        f"({CSV_FILE_FORMAT}) ON_ERROR = ABORT_STATEMENT PURGE = TRUE"
    )
    options = ["FIELD_OPTIONALLY_ENCLOSED_BY = '\"'", "ESCAPE_UNENCLOSED_FIELD = NONE", "NULL_IF = ()"]
    for option in [*options, "EMPTY_FIELD_AS_NULL = TRUE", "COMPRESSION = GZIP"]:
        assert option in CSV_FILE_FORMAT
