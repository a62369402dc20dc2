"""The Snowflake backend's statements about files: named file formats and stages (the bootstrap creates and
converges them), the transforming COPY of the raw loads, and PUT + COPY of local table extracts.

Limits Snowflake sets on them are constants here, each statement built within them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from targets import identifiers
from targets.formats import CopySpec, FileFormat
from targets.warehouse.session import bind_marks

MAX_FILES_PER_COPY = 1000  # COPY's limit for FILES=(...)
SQL_TYPES = {"BIGINT": "NUMBER(38,0)", "DOUBLE": "FLOAT", "TIMESTAMP": "TIMESTAMP_NTZ"}


def literal(value: str) -> str:
    """A Snowflake string literal (for COPY options that take no bind parameters)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sql_type(column_type: str) -> str:
    """Snowflake's spelling of a type of targets.warehouse.session.COLUMN_TYPES (validated by the caller)."""
    if column_type.startswith("DECIMAL("):
        return "NUMBER" + column_type[len("DECIMAL") :]
    return SQL_TYPES.get(column_type, column_type)


def _format_options(fmt: FileFormat, skip_header: int) -> str:
    """The CSV options of a file format, skipping ``skip_header`` lines.

    A backslash is data, as DuckDB reads these logs: with ESCAPE_UNENCLOSED_FIELD at its default (a backslash),
    a line ending in one would swallow the line break and merge with the next line."""
    options = [
        "TYPE = CSV",
        f"FIELD_DELIMITER = {literal(fmt.delimiter)}",
        f"SKIP_HEADER = {skip_header}",
        f"COMPRESSION = {'GZIP' if fmt.compression == 'gzip' else 'NONE'}",
        "ERROR_ON_COLUMN_COUNT_MISMATCH = FALSE",
        "ESCAPE_UNENCLOSED_FIELD = NONE",
        "ENCODING = 'UTF8'",
        "EMPTY_FIELD_AS_NULL = TRUE",
    ]
    if fmt.quote:
        options.append(f"FIELD_OPTIONALLY_ENCLOSED_BY = {literal(fmt.quote)}")
    return " ".join(options)


def file_format_sql(fmt: FileFormat) -> str:
    """The named file format, converging: CREATE OR ALTER changes an existing format's options to these."""
    return f"CREATE OR ALTER FILE FORMAT {identifiers.check(fmt.name, 3)} {_format_options(fmt, fmt.skip_header)}"


def stage_sql(stage: str, url: str, integration: str) -> str:
    """An external stage over the landing bucket, converging (CREATE OR ALTER moves it to this URL and
    integration); the integration holds the AWS access, so no key is ever in SQL text."""
    if not url.startswith("s3://"):
        raise ValueError(f"stage {stage}: the landing url must be s3://bucket/prefix on Snowflake, not {url!r}")
    return (
        f"CREATE OR ALTER STAGE {identifiers.check(stage, 3)} URL = {literal(url.rstrip('/') + '/')} "
        f"STORAGE_INTEGRATION = {identifiers.check(integration, 1)}"
    )


def copy_sql(
    spec: CopySpec, files: Sequence[str], positions: Sequence[int | None] | None = None, skip_header: int | None = None
) -> str:
    """COPY INTO the raw table the files the ledger chose (at most 1000, stage-relative), with _file/_row/
    _loaded_at from the file metadata. Each column is the field at its index in ``positions`` (the files' field
    order, read from their '#Fields:' header; None for a field the header lacks: NULL), by default the columns'
    own order. The files' first ``skip_header`` lines are not data, by default the named file format's count; files
    with another count (a CloudFront file without header lines) are read with the format's options given inline.

    FORCE = TRUE: the ledger (targets.warehouse.ledger) decides what loads. Without it COPY's own load metadata
    would skip, silently, a file it remembers loading (into this table, or by an earlier loader) or whose
    LAST_MODIFIED is older than 64 days - so a backfill of old days, or a cut-over onto an earlier loader's
    tables, would never load them. Files are always named (FILES=, COPY's fastest selector): a PATTERN
    would be matched against the whole storage path, not the stage-relative one.
    """
    if not 0 < len(files) <= MAX_FILES_PER_COPY:
        raise ValueError(f"COPY takes 1 to {MAX_FILES_PER_COPY} files, got {len(files)}")
    fmt = spec.file_format
    columns = ", ".join(fmt.columns)
    if positions is None:
        positions = range(len(fmt.columns))
    if len(positions) != len(fmt.columns):
        raise ValueError(f"COPY into {spec.table}: {len(positions)} field positions for {len(fmt.columns)} columns")
    fields = ", ".join("NULL" if p is None else f"${p + 1}" for p in positions)
    skip = fmt.skip_header if skip_header is None else skip_header
    file_format = f"FORMAT_NAME = {literal(fmt.name)}" if skip == fmt.skip_header else _format_options(fmt, skip)
    # _row is the line in the file, as on DuckDB: METADATA$FILE_ROW_NUMBER counts the records after the header.
    row = "METADATA$FILE_ROW_NUMBER" + (f" + {skip}" if skip else "")
    return "\n".join([
        f"COPY INTO {identifiers.check(spec.table, 3)} ({columns}, _file, _row, _loaded_at)",
        f"FROM (SELECT {fields}, METADATA$FILENAME, {row}, CURRENT_TIMESTAMP()"
        f" FROM @{identifiers.check(spec.stage, 3)})",
        f"FILES = ({', '.join(literal(f) for f in files)})",
        f"FILE_FORMAT = ({file_format})",
        "ON_ERROR = CONTINUE",
        "FORCE = TRUE",
    ])  # fmt: skip


def _loaded_text(fmt: FileFormat) -> str:
    """The line as loaded: present fields joined by the delimiter (CONCAT_WS would be NULL on any NULL)."""
    sep = literal(fmt.delimiter)
    return " || ".join([f"COALESCE({fmt.columns[0]}, '')"] + [f"COALESCE({sep} || {c}, '')" for c in fmt.columns[1:]])


def short_rows_sql(spec: CopySpec, names: Sequence[str]) -> tuple[str, str]:
    """Select, then delete, the loaded rows that are rejects - a missing field, a value that does not cast
    (bind: ``names``, every shape of the unit's file names _file may hold, for each statement)."""
    fmt = spec.file_format
    where = f"_file IN ({bind_marks(names)}) AND ({fmt.bad_row()})"
    select = (
        f"SELECT _file, _row, {_loaded_text(fmt)}, {fmt.bad_row_reason()} FROM {spec.table} WHERE {where} "
        "ORDER BY _file, _row"
    )
    return select, f"DELETE FROM {spec.table} WHERE {where}"


def file_rows_sql(spec: CopySpec, names: Sequence[str]) -> tuple[str, str]:
    """Select, then delete, every loaded row of some files - all rejects, for a reason of the whole file (bind:
    ``names``, every shape _file may hold of those files, for each statement)."""
    where = f"_file IN ({bind_marks(names)})"
    text = _loaded_text(spec.file_format)
    select = f"SELECT _file, _row, {text} FROM {spec.table} WHERE {where} ORDER BY _file, _row"
    return select, f"DELETE FROM {spec.table} WHERE {where}"


# How load_csv reads the extracts: RFC 4180, an empty unquoted field is NULL and "" an empty string,
# backslashes are data (Postgres' CSV never escapes with them). A row with the wrong number of fields
# (ERROR_ON_COLUMN_COUNT_MISMATCH, TRUE by default) or any other bad row aborts the whole load.
CSV_FILE_FORMAT = (
    "TYPE = CSV COMPRESSION = GZIP FIELD_DELIMITER = ',' SKIP_HEADER = 0 FIELD_OPTIONALLY_ENCLOSED_BY = '\"' "
    "ESCAPE_UNENCLOSED_FIELD = NONE EMPTY_FIELD_AS_NULL = TRUE NULL_IF = ()"
)


def upload_folder(stage: str, folder: str) -> str:
    """A folder of a named internal stage (@db.schema.stage/folder/)."""
    return f"@{identifiers.check(stage, 3)}/{identifiers.check(folder, 1)}/"


def put_sql(path: str | Path, stage_path: str) -> str:
    """PUT a local file to a stage folder (the connector compresses it to .gz on the way)."""
    local = str(Path(path).resolve())
    if "'" in local:
        raise ValueError(f"PUT: unsupported character in local path {local!r}")
    return f"PUT 'file://{local}' {stage_path} AUTO_COMPRESS = TRUE OVERWRITE = TRUE PARALLEL = 4"


def load_copy_sql(table: str, columns: Sequence[str], stage_path: str) -> str:
    """COPY the files of a stage folder into the table; PURGE removes them once loaded."""
    names = ", ".join(identifiers.check(c, 1) for c in columns)
    return (
        f"COPY INTO {identifiers.check(table, 3)} ({names}) FROM {stage_path} "
        f"FILE_FORMAT = ({CSV_FILE_FORMAT}) ON_ERROR = ABORT_STATEMENT PURGE = TRUE"
    )
