"""The Snowflake session through the real connector on fakesnow, behind the recording account
(tests/snowflake_account.py): what it sends to make sure of tables, to read the catalog, to copy a unit of files
whose rows carry ``_file`` in any shape, each file's fields by its '#Fields:' header (read from moto's S3), and to
load a local file."""

from __future__ import annotations

import gzip
import re

import pytest
import sqlglot
from sqlglot import exp

from targets import landing
from targets.formats import CLOUDFRONT, CopySpec, FileResult, StagedFile
from targets.markers.stores import MARKER_COLUMNS, marker_table
from targets.warehouse import ledger
from targets.warehouse.connect import connect
from targets.warehouse.session import UnreadableFileError
from targets.warehouse.snowflake_session import NotBootstrappedError
from tests.tasks.extract.corpus import DOC_26, DOC_33, FORMAT_2015, LEGACY_26, LEGACY_33, V2, V2_ROW, cf


@pytest.fixture
def stage(env, s3: str, settings) -> str:
    """The landing zone on moto's S3, set before the bootstrap creates the stages over it; the diagnostics
    stage's URL."""
    settings.set("landing", "url", s3)
    return f"{s3}/diagnostics"


def spec_of(stage_url: str) -> CopySpec:
    return CopySpec(
        "raw.diagnostics.log_entries",
        "raw.diagnostics.diagnostics_stage",
        stage_url,
        "ESECCHECKONE01",
        r"ESECCHECKONE01/.*\.gz",
        CLOUDFRONT,
    )


def land(stage_url: str, name: str, header: str | None, lines: list[str]) -> StagedFile:
    """A CloudFront log file in the landing zone: its '#Version' and '#Fields' lines (if any), then ``lines``."""
    head = ["#Version: 1.0", f"#Fields: {header}"] if header else []
    body = gzip.compress("".join(f"{line}\n" for line in head + lines).encode())
    bucket, key = landing.split_s3(landing.join(stage_url, name))
    landing.s3_client().put_object(Bucket=bucket, Key=key, Body=body)
    return StagedFile(name, f"s3://{bucket}/{key}", len(body))


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
    s.execute(f"INSERT INTO raw.diagnostics.log_entries ({cols}, _file, _row) VALUES ({marks})", (*fields, file, row))


FULL = ["2026-11-25", "03:04:05"] + ["1"] * (len(CLOUDFRONT.columns) - 2)  # numbers: some columns are typed
SHORT = FULL[:5] + [None] * (len(CLOUDFRONT.columns) - 5)


@pytest.mark.parametrize(
    "shape", ["{name}", "{path}/{name}", "{stage}/{name}"],
    ids=["stage-relative", "bucket path", "full URL"],
)  # fmt: skip
def test_rows_are_found_by_file_whatever_shape_metadata_filename_has(stage, snowflake, shape):
    """Short rows become rejects under the stage-relative name, and a reload replaces the file's rows, when
    ``_file`` (METADATA$FILENAME) holds the name in any shape - otherwise every reload would double them."""
    spec, name = spec_of(stage), "ESECCHECKONE01/a.gz"
    stored = shape.format(name=name, path=landing.split_s3(stage)[1], stage=stage)
    unit = [land(stage, name, LEGACY_26, [cf(DOC_26), cf(DOC_26[:5])])]
    with connect("t") as s:

        def copy(table: str, urls: list[str], forced: bool) -> list[tuple]:
            """The COPY, as the account runs it: the file's two lines after its header, one missing fields, with
            METADATA$FILENAME."""
            for row, fields in [(3, FULL), (4, SHORT)]:
                raw_row(s, stored, row, fields)
            return [(urls[0], "LOADED", 2, 2, 1, 0, None, None, None, None)]

        snowflake.copy_answer = copy
        for replacing in (False, True):
            with s.transaction():
                results, rejects = s.copy_files(spec, unit, replacing)
            assert results == [FileResult(name, "PARTIALLY_LOADED", 2, 1, 1)]
            assert [(j.file, j.line, j.error) for j in rejects] == [(name, 4, "MISSING FIELDS: expected 26 fields")]
            assert s.execute(f"SELECT _file, _row FROM {spec.table}") == [(stored, 3)]


def test_a_new_files_rows_left_by_an_earlier_loader_are_replaced(stage, snowflake):
    """COPY is forced (the ledger decides), so rows an earlier loader left for a file new to the ledger go first."""
    spec, name = spec_of(stage), "ESECCHECKONE01/a.gz"
    snowflake.copy_answer = lambda table, urls, forced: [(u, "LOADED", 0, 0, 1, 0, *[None] * 4) for u in urls]
    with connect("t") as s:
        raw_row(s, f"{landing.split_s3(stage)[1]}/{name}", 1, FULL)
        with s.transaction():
            s.copy_files(spec, [land(stage, name, LEGACY_26, [])], replacing=False)
        assert s.execute(f"SELECT count(*) FROM {spec.table}") == [(0,)]


def picked(pick: exp.Expression, fields: list[str], key: str, number: int) -> str | int | None:
    """What Snowflake's COPY gives a column for one SELECT expression of a line's ``fields``: ``$n`` the n-th field
    (NULL past the line's end, or when empty), METADATA$FILENAME the file's path in the bucket,
    METADATA$FILE_ROW_NUMBER (+ k) the record's number (plus k); NULL for NULL."""
    if isinstance(pick, exp.Parameter):
        n = int(pick.this.name)
        return (fields[n - 1] or None) if n <= len(fields) else None
    if isinstance(pick, exp.Add):
        return number + int(pick.expression.name)
    return {"METADATA$FILENAME": key, "METADATA$FILE_ROW_NUMBER": number}.get(pick.name)


def copy_as_snowflake(account, s):
    """A ``copy_answer`` running the transforming COPY the account just received on the landed files, as Snowflake
    would (fakesnow cannot read an S3 stage): each line after the header lines (SKIP_HEADER given inline, else the
    named format's) split at tabs, each column given what the SELECT names for it (``picked``)."""

    def copy(table: str, urls: list[str], forced: bool) -> list[tuple]:
        inline = re.search(r"SKIP_HEADER = (\d+)", account.sent[-1].sql)
        skip = int(inline.group(1)) if inline else CLOUDFRONT.skip_header
        statement = sqlglot.parse_one(account.sent[-1].sql, read="snowflake")
        columns = [c.name for c in statement.this.expressions]
        picks = dict(zip(columns, statement.find(exp.Select).expressions, strict=True))
        picks.pop("_loaded_at")
        insert = f"INSERT INTO {table} ({', '.join(picks)}) VALUES ({', '.join('?' for _ in picks)})"
        answer = []
        for url in urls:
            bucket, key = landing.split_s3(url)
            text = gzip.decompress(landing.s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()).decode()
            records = text.splitlines()[skip:]
            for number, line in enumerate(records, start=1):
                s.execute(insert, [picked(p, line.split("\t"), key, number) for p in picks.values()])
            answer.append((url, "LOADED", len(records), len(records), 1, 0, None, None, None, None))
        return answer

    return copy


def copy_unit(snowflake, spec, unit, query: str) -> tuple[list, list, list[str], list[tuple]]:
    """Copy one unit as Snowflake would: (file results, rejects, the COPY statements sent, ``query``'s rows after)."""
    with connect("t") as s:
        snowflake.copy_answer = copy_as_snowflake(snowflake, s)
        start = len(snowflake.sent)
        with s.transaction():
            results, rejects = s.copy_files(spec, unit, replacing=False)
        copies = [sql for sql in sent_since(snowflake, start) if sql.startswith("COPY")]
        return results, rejects, copies, s.execute(query)


def test_each_files_fields_are_mapped_by_its_header(stage, snowflake):
    """A legacy file (26 or 33 fields) and a standard logging v2 file (39 fields, another order) land the same
    values in the same columns: one COPY per field order, each column from the field its header names."""
    spec = spec_of(stage)
    unit = [
        land(stage, "ESECCHECKONE01/legacy26.gz", LEGACY_26, [cf(DOC_26)]),
        land(stage, "ESECCHECKONE01/legacy33.gz", LEGACY_33, [cf(DOC_33)]),
        land(stage, "ESECCHECKONE01/v2.gz", V2, [cf(V2_ROW), cf(V2_ROW)]),
    ]
    query = f"SELECT {', '.join(CLOUDFRONT.columns)}, _file, _row FROM {spec.table} ORDER BY _file, _row"
    results, rejects, copies, rows = copy_unit(snowflake, spec, unit, query)
    assert rejects == [] and [(r.file, r.status, r.rows_loaded) for r in results] == [
        ("ESECCHECKONE01/legacy26.gz", "LOADED", 1),
        ("ESECCHECKONE01/legacy33.gz", "LOADED", 1),
        ("ESECCHECKONE01/v2.gz", "LOADED", 2),
    ]
    folder = landing.split_s3(stage)[1]
    assert rows == [
        (*DOC_26, f"{folder}/ESECCHECKONE01/legacy26.gz", 3),
        (*DOC_26, f"{folder}/ESECCHECKONE01/legacy33.gz", 3),
        (*DOC_26, f"{folder}/ESECCHECKONE01/v2.gz", 3),
        (*DOC_26, f"{folder}/ESECCHECKONE01/v2.gz", 4),
    ]
    assert len(copies) == 2  # the legacy orders are one; v2 another
    assert "FROM (SELECT $1, $2, $3, " in copies[0] and "$26, METADATA$FILENAME" in copies[0]
    assert "FROM (SELECT $3, $4, $5, " in copies[1] and "$28, METADATA$FILENAME" in copies[1]
    assert "'ESECCHECKONE01/v2.gz'" in copies[1] and "v2.gz" not in copies[0]


def test_a_file_without_header_lines_loads_from_its_first_line(stage, snowflake):
    """A CloudFront file without '#Version' and '#Fields' lines (the legacy 26 fields in order) loses no line to
    the header lines of the others: its own COPY skips none, and its rows are at their lines, as on DuckDB."""
    spec = spec_of(stage)
    unit = [
        land(stage, "ESECCHECKONE01/bare.gz", None, [cf(DOC_26), cf(DOC_26), cf(DOC_26)]),
        land(stage, "ESECCHECKONE01/legacy26.gz", LEGACY_26, [cf(DOC_26)]),
    ]
    query = f"SELECT _file, _row, logdate FROM {spec.table} ORDER BY _file, _row"
    results, rejects, copies, rows = copy_unit(snowflake, spec, unit, query)
    assert rejects == [] and [(r.file, r.rows_loaded) for r in results] == [
        ("ESECCHECKONE01/bare.gz", 3),
        ("ESECCHECKONE01/legacy26.gz", 1),
    ]
    folder = landing.split_s3(stage)[1]
    assert rows == [
        (f"{folder}/ESECCHECKONE01/bare.gz", 1, DOC_26[0]),
        (f"{folder}/ESECCHECKONE01/bare.gz", 2, DOC_26[0]),
        (f"{folder}/ESECCHECKONE01/bare.gz", 3, DOC_26[0]),
        (f"{folder}/ESECCHECKONE01/legacy26.gz", 3, DOC_26[0]),
    ]
    assert len(copies) == 2 and "SKIP_HEADER = 0" in copies[0] and "FORMAT_NAME" in copies[1]


HEADER_2015 = (
    "HEADER: the file's #Fields header has 19 fields and lacks x-forwarded-for, ssl-protocol, ssl-cipher, "
    "x-edge-response-result-type, cs-protocol-version, fle-status, fle-encrypted-fields (an older format: expected "
    "every one of the 26 fields kept)"
)
HEADER_NO_COOKIE = (
    "HEADER: the file's #Fields header has 25 fields and lacks cs(Cookie) (an older format: expected every one of "
    "the 26 fields kept)"
)


def test_every_line_of_a_file_whose_header_lacks_kept_fields_is_a_reject_naming_them(stage, snowflake):
    """As on DuckDB: the 2015 format (19 fields), or a header without a field the table keeps, makes each of the
    file's lines a reject with the header's reason - even when the line has as many fields as its header says."""
    spec = spec_of(stage)
    no_cookie = " ".join(f for f in LEGACY_26.split() if f != "cs(Cookie)")
    unit = [
        land(stage, "ESECCHECKONE01/f2015.gz", FORMAT_2015, [cf(DOC_26[:19]), cf(DOC_26[:19])]),
        land(stage, "ESECCHECKONE01/nocookie.gz", no_cookie, [cf(DOC_26[:12] + DOC_26[13:])]),
        land(stage, "ESECCHECKONE01/good.gz", LEGACY_26, [cf(DOC_26)]),
    ]
    results, rejects, copies, left = copy_unit(snowflake, spec, unit, f"SELECT _file FROM {spec.table}")
    assert [(j.file, j.line, j.error) for j in rejects] == [
        ("ESECCHECKONE01/f2015.gz", 3, HEADER_2015),
        ("ESECCHECKONE01/f2015.gz", 4, HEADER_2015),
        ("ESECCHECKONE01/nocookie.gz", 3, HEADER_NO_COOKIE),
    ]
    assert rejects[0].raw_text == cf(DOC_26[:19])  # the fields kept, joined (COPY keeps no line)
    assert [(r.file, r.status, r.rows_loaded, r.errors_seen) for r in results] == [
        ("ESECCHECKONE01/f2015.gz", "LOAD_FAILED", 0, 2),
        ("ESECCHECKONE01/nocookie.gz", "LOAD_FAILED", 0, 1),
        ("ESECCHECKONE01/good.gz", "LOADED", 1, 0),
    ]
    assert left == [(f"{landing.split_s3(stage)[1]}/ESECCHECKONE01/good.gz",)]
    assert "$19, NULL, NULL, NULL, NULL, NULL, NULL, NULL, METADATA$FILENAME" in copies[0]
    assert "$12, NULL, $13, " in copies[1]


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


def test_a_file_whose_header_cannot_be_inflated_fails_the_unit_naming_it_before_any_copy(stage, snowflake):
    spec = spec_of(stage)
    good = land(stage, "ESECCHECKONE01/good.gz", LEGACY_26, [cf(DOC_26)])
    body = bytearray(gzip.compress(f"#Version: 1.0\n#Fields: {V2}\n{cf(V2_ROW)}\n".encode()))
    body[12:40] = b"\xff" * 28  # the deflate data, just after the gzip header
    bucket, key = landing.split_s3(f"{stage}/ESECCHECKONE01/bad.gz")
    landing.s3_client().put_object(Bucket=bucket, Key=key, Body=bytes(body))
    bad = StagedFile("ESECCHECKONE01/bad.gz", f"s3://{bucket}/{key}", len(body))
    with connect("t") as s:
        start = len(snowflake.sent)
        corrupt = r"^ESECCHECKONE01/bad\.gz: corrupt gzip stream"
        with pytest.raises(UnreadableFileError, match=corrupt) as error, s.transaction():
            s.copy_files(spec, [good, bad], replacing=False)
    assert error.value.file == bad
    assert not [sql for sql in sent_since(snowflake, start) if sql.startswith("COPY")]
