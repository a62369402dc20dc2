"""The Snowflake backend's statements about files, as text: what fakesnow cannot run (the transforming COPY with
FILES, ON_ERROR, FORCE, file formats and stages as Snowflake has them). Each also parses as Snowflake SQL in the
recorded-statement checks (tests/ops/snowflake/test_statements.py)."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from targets.formats import ALB, CLOUDFRONT, LICENSE_CSV, CopySpec, HeaderError
from targets.warehouse.snowflake_sql import (
    CSV_FILE_FORMAT,
    copy_sql,
    file_format_sql,
    file_rows_sql,
    load_copy_sql,
    put_sql,
    stage_sql,
    upload_folder,
)
from tests.tasks.extract.corpus import FORMAT_2015, LEGACY_26, LEGACY_33, V2

SPEC = CopySpec(
    "raw.diagnostics.log_entries",
    "raw.diagnostics.diagnostics_stage",
    "s3://landing-bucket/bizops/diagnostics",
    "ESECCHECKONE01",
    r"ESECCHECKONE01/ESECCHECKONE01\.2026-11-25-\d{2}\.[^./]+\.gz",
    CLOUDFRONT,
)


def test_copy_names_its_files_with_file_metadata():
    sql = copy_sql(SPEC, ["ESECCHECKONE01/ESECCHECKONE01.2026-11-25-03.a1.gz", "it's/odd.gz"])
    assert sql.startswith(
        "COPY INTO raw.diagnostics.log_entries (logdate, logtime, edge, bytessent, cip, method, host, uri, status,"
    )
    assert "_file, _row, _loaded_at)" in sql
    assert (
        "FROM (SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, "
        "$21, $22, $23, $24, $25, $26, METADATA$FILENAME, METADATA$FILE_ROW_NUMBER + 2, CURRENT_TIMESTAMP() "
        "FROM @raw.diagnostics.diagnostics_stage)" in sql
    )
    assert "FILES = ('ESECCHECKONE01/ESECCHECKONE01.2026-11-25-03.a1.gz', 'it\\'s/odd.gz')" in sql
    assert "FILE_FORMAT = (FORMAT_NAME = 'raw.pipeline.cloudfront_log')" in sql
    assert "ON_ERROR = CONTINUE" in sql


def test_copy_is_forced_and_never_selects_by_pattern():
    """The ledger decides what loads: COPY's load metadata must not skip a file it chose (loaded before by another
    loader, or LAST_MODIFIED over 64 days ago), and a PATTERN would match the whole storage path, never the
    stage-relative regex of the spec."""
    sql = copy_sql(SPEC, ["ESECCHECKONE01/a.gz"])
    assert sql.endswith("ON_ERROR = CONTINUE\nFORCE = TRUE")
    assert "PATTERN" not in sql
    with pytest.raises(TypeError):
        copy_sql(SPEC)  # type: ignore[call-arg]


def test_copy_refuses_more_files_than_snowflake_takes():
    with pytest.raises(ValueError, match="1 to 1000 files"):
        copy_sql(SPEC, [f"f{i}.gz" for i in range(1001)])
    with pytest.raises(ValueError, match="1 to 1000 files"):
        copy_sql(SPEC, [])


@pytest.mark.parametrize(
    "header, fields",
    [
        (None, [f"${i}" for i in range(1, 27)]),
        (f"#Fields: {LEGACY_33}", [f"${i}" for i in range(1, 27)]),
        (f"#Fields: {V2}", [f"${i}" for i in range(3, 29)]),
        (f"#Fields: {' '.join(reversed(LEGACY_26.split()))}", [f"${i}" for i in range(26, 0, -1)]),
        (f"#Fields: {FORMAT_2015}", [f"${i}" for i in range(1, 20)] + ["NULL"] * 7),
    ],
    ids=["no header", "legacy 33", "v2", "reversed", "2015 format"],
)
def test_copy_takes_each_column_from_the_field_the_files_header_names(header, fields):
    """The field order of the files' '#Fields:' header (FileFormat.positions; a header lacking kept fields gives
    NULL for them) decides which ``$n`` feeds each column; the statement parses as Snowflake SQL."""
    try:
        positions = CLOUDFRONT.positions(header)
    except HeaderError as exc:
        positions = exc.positions
    statement = sqlglot.parse_one(copy_sql(SPEC, ["ESECCHECKONE01/a.gz"], positions), read="snowflake")
    columns = [c.name for c in statement.this.expressions]
    picks = [e.sql("snowflake") for e in statement.find(exp.Select).expressions]
    assert dict(zip(columns, picks, strict=True)) == {
        **dict(zip(CLOUDFRONT.columns, fields, strict=True)),
        "_file": "METADATA$FILENAME",
        "_row": "METADATA$FILE_ROW_NUMBER + 2",
        "_loaded_at": "CURRENT_TIMESTAMP()",
    }
    with pytest.raises(ValueError, match="25 field positions for 26 columns"):
        copy_sql(SPEC, ["ESECCHECKONE01/a.gz"], positions[:25])


def test_files_without_header_lines_skip_none():
    """A CloudFront file without its '#Version' and '#Fields' lines starts with data: its COPY skips no line (the
    format's options inline, SKIP_HEADER = 0) and _row is the record's own number."""
    sql = copy_sql(SPEC, ["ESECCHECKONE01/a.gz"], CLOUDFRONT.positions(None), skip_header=0)
    statement = sqlglot.parse_one(sql, read="snowflake")
    columns = [c.name for c in statement.this.expressions]
    picks = dict(zip(columns, statement.find(exp.Select).expressions, strict=True))
    assert picks["_row"].sql("snowflake") == "METADATA$FILE_ROW_NUMBER"
    assert "SKIP_HEADER = 0" in sql and "FORMAT_NAME" not in sql
    assert "FILE_FORMAT = (TYPE = CSV FIELD_DELIMITER = '\t' SKIP_HEADER = 0 COMPRESSION = GZIP" in sql
    # The named format's own count keeps the named format.
    assert copy_sql(SPEC, ["ESECCHECKONE01/a.gz"], skip_header=2) == copy_sql(SPEC, ["ESECCHECKONE01/a.gz"])


def test_a_files_rows_are_selected_then_deleted_whole():
    """Every row of a file whose header lacks kept fields is a reject: selected with its loaded text, then deleted."""
    select, delete = file_rows_sql(SPEC, ["a.gz", "bizops/diagnostics/a.gz"])
    assert select.startswith("SELECT _file, _row, COALESCE(logdate, '') || COALESCE('\t' || logtime, '')")
    assert select.endswith("FROM raw.diagnostics.log_entries WHERE _file IN (?, ?) ORDER BY _file, _row")
    assert delete == "DELETE FROM raw.diagnostics.log_entries WHERE _file IN (?, ?)"
    for sql in (select, delete):
        sqlglot.parse_one(sql, read="snowflake")


@pytest.mark.parametrize("fmt", [CLOUDFRONT, ALB, LICENSE_CSV], ids=lambda f: f.name)
def test_file_formats_converge_and_read_backslashes_as_data(fmt):
    """CREATE OR ALTER: a changed definition reaches an existing format. A backslash is data, as DuckDB reads
    these logs; at its default it would escape the line break of a line ending in one."""
    sql = file_format_sql(fmt)
    assert sql.startswith(f"CREATE OR ALTER FILE FORMAT {fmt.name} TYPE = CSV ")
    assert "ESCAPE_UNENCLOSED_FIELD = NONE" in sql and "ERROR_ON_COLUMN_COUNT_MISMATCH = FALSE" in sql
    assert f"SKIP_HEADER = {fmt.skip_header}" in sql


def test_the_formats_options():
    cf = file_format_sql(CLOUDFRONT)
    assert "FIELD_DELIMITER = '\t'" in cf and "SKIP_HEADER = 2" in cf and "COMPRESSION = GZIP" in cf
    assert "FIELD_OPTIONALLY_ENCLOSED_BY = '\"'" in file_format_sql(ALB)
    assert "COMPRESSION = NONE" in file_format_sql(LICENSE_CSV)


def test_stages_converge_on_the_integration_and_never_carry_credentials():
    stage = stage_sql(SPEC.stage, SPEC.stage_url, "S3_LANDING")
    assert stage == (
        "CREATE OR ALTER STAGE raw.diagnostics.diagnostics_stage URL = 's3://landing-bucket/bizops/diagnostics/' "
        "STORAGE_INTEGRATION = S3_LANDING"
    )
    with pytest.raises(ValueError, match="must be s3://"):
        stage_sql(SPEC.stage, "data/landing/diagnostics", "S3_LANDING")


def test_identifiers_are_validated_before_reaching_sql():
    bad = CopySpec("raw.x.t; DROP TABLE y", "raw.x.s", "s3://b", "", ".*", CLOUDFRONT)
    with pytest.raises(ValueError, match="invalid SQL identifier"):
        copy_sql(bad, ["f.gz"])
    with pytest.raises(ValueError, match="invalid SQL identifier"):
        upload_folder("raw.pipeline.uploads", "a/../b")


def test_local_files_go_through_the_upload_stage():
    folder = upload_folder("raw.pipeline.uploads", "load_0a1b2c")
    assert folder == "@raw.pipeline.uploads/load_0a1b2c/"
    assert put_sql("/tmp/x y/user.csv", folder) == (
        "PUT 'file:///tmp/x y/user.csv' @raw.pipeline.uploads/load_0a1b2c/ AUTO_COMPRESS = TRUE OVERWRITE = TRUE "
        "PARALLEL = 4"
    )
    with pytest.raises(ValueError, match="unsupported character"):
        put_sql("/tmp/it's.csv", folder)
    assert load_copy_sql("raw.orgm.account", ["sfid", "name"], folder) == (
        "COPY INTO raw.orgm.account (sfid, name) FROM @raw.pipeline.uploads/load_0a1b2c/ FILE_FORMAT = "
        f"({CSV_FILE_FORMAT}) ON_ERROR = ABORT_STATEMENT PURGE = TRUE"
    )
    options = ["FIELD_OPTIONALLY_ENCLOSED_BY = '\"'", "ESCAPE_UNENCLOSED_FIELD = NONE", "NULL_IF = ()"]
    for option in [*options, "EMPTY_FIELD_AS_NULL = TRUE", "COMPRESSION = GZIP"]:
        assert option in CSV_FILE_FORMAT
