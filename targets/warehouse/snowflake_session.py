"""The production backend: Snowflake through snowflake-connector-python.

Loads go through named file formats and external stages over the landing bucket (a storage
integration holds the AWS access, so no key is ever in SQL text), with ``COPY INTO`` selecting files
explicitly (``FILES=``, the fastest selector) or by ``PATTERN``. Per-file results come back from COPY.
Lines missing fields are loaded NULL-padded (ERROR_ON_COLUMN_COUNT_MISMATCH=FALSE, so the newer
33-field CloudFront lines load too) and then moved to the rejects in the same transaction; other bad
lines are counted by COPY (ON_ERROR=CONTINUE), which reports the first error of each file only.
"""

from __future__ import annotations

import collections
import secrets as secrets_module
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from config import secrets
from config.settings import snowflake as snowflake_settings
from targets import identifiers
from targets.formats import CopySpec, FileFormat, FileResult, Reject, StagedFile
from targets.warehouse.csv_dialect import csv_field
from targets.warehouse.session import STATS, Profile, Session, bind_marks
from targets.warehouse.session import column_type as warehouse_column_type

COPY_RESULT_COLUMNS = (
    "file", "status", "rows_parsed", "rows_loaded", "error_limit", "errors_seen", "first_error",
    "first_error_line", "first_error_character", "first_error_column_name",
)  # fmt: skip
MAX_FILES_PER_COPY = 1000  # Snowflake's limit for FILES=(...)


def literal(value: str) -> str:
    """A Snowflake string literal (for COPY options that take no bind parameters)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def file_format_sql(fmt: FileFormat) -> str:
    options = [
        "TYPE = CSV",
        f"FIELD_DELIMITER = {literal(fmt.delimiter)}",
        f"SKIP_HEADER = {fmt.skip_header}",
        f"COMPRESSION = {'GZIP' if fmt.compression == 'gzip' else 'NONE'}",
        "ERROR_ON_COLUMN_COUNT_MISMATCH = FALSE",
        "ENCODING = 'UTF8'",
        "EMPTY_FIELD_AS_NULL = TRUE",
    ]
    if fmt.quote:
        options.append(f"FIELD_OPTIONALLY_ENCLOSED_BY = {literal(fmt.quote)}")
    return f"CREATE FILE FORMAT IF NOT EXISTS {identifiers.check(fmt.name, 3)} {' '.join(options)}"


def stage_sql(spec: CopySpec, integration: str) -> str:
    return (
        f"CREATE STAGE IF NOT EXISTS {identifiers.check(spec.stage, 3)} "
        f"URL = {literal(spec.stage_url.rstrip('/') + '/')} "
        f"STORAGE_INTEGRATION = {identifiers.check(integration, 1)}"
    )


def copy_sql(spec: CopySpec, files: Sequence[str] | None = None, force: bool = False) -> str:
    """COPY INTO the raw table with _file/_row/_loaded_at from the file metadata.

    ``files`` (at most 1000, relative to the stage) selects exactly; without it the spec's PATTERN
    selects, and Snowflake's own load metadata skips files already loaded.
    """
    fmt = spec.file_format
    columns = ", ".join(fmt.columns)
    fields = ", ".join(f"${i + 1}" for i in range(len(fmt.columns)))
    parts = [
        f"COPY INTO {identifiers.check(spec.table, 3)} ({columns}, _file, _row, _loaded_at)",
        f"FROM (SELECT {fields}, METADATA$FILENAME, METADATA$FILE_ROW_NUMBER, CURRENT_TIMESTAMP()"
        f" FROM @{identifiers.check(spec.stage, 3)})",
    ]
    if files is not None:
        if not 0 < len(files) <= MAX_FILES_PER_COPY:
            raise ValueError(f"COPY takes 1 to {MAX_FILES_PER_COPY} files, got {len(files)}")
        parts.append(f"FILES = ({', '.join(literal(f) for f in files)})")
    else:
        parts.append(f"PATTERN = {literal(spec.pattern)}")
    parts += [f"FILE_FORMAT = (FORMAT_NAME = {literal(fmt.name)})", "ON_ERROR = CONTINUE"]
    if force:
        parts.append("FORCE = TRUE")
    return "\n".join(parts)


def parse_copy_results(rows: Sequence[Sequence[Any]], names: Sequence[str], stage_url: str = "") -> list[FileResult]:
    """Per-file COPY results; Snowflake's single 'Copy executed with 0 files processed.' row means none.
    File names are made stage-relative (COPY reports full URLs), as the load history keeps them."""
    index = {n.lower(): i for i, n in enumerate(names)}
    if "file" not in index:
        return []
    out = []
    for row in rows:
        status = str(row[index["status"]]).upper().replace(" ", "_")
        out.append(
            FileResult(
                file=str(row[index["file"]]).removeprefix(stage_url.rstrip("/") + "/"),
                status=status,
                rows_parsed=int(row[index["rows_parsed"]] or 0),
                rows_loaded=int(row[index["rows_loaded"]] or 0),
                errors_seen=int(row[index["errors_seen"]] or 0),
                first_error=row[index["first_error"]],
                first_error_line=row[index["first_error_line"]],
            )
        )
    return out


def short_rows_sql(spec: CopySpec, files: Sequence[str]) -> tuple[str, str]:
    """Select, then delete, the loaded rows that are rejects - a missing field, a value that does not cast
    (bind: the files, for each statement)."""
    fmt = spec.file_format
    sep = literal(fmt.delimiter)
    where = f"_file IN ({bind_marks(files)}) AND ({fmt.bad_row()})"
    # The line as loaded: present fields joined by the delimiter (CONCAT_WS would be NULL on any NULL).
    text = " || ".join([f"COALESCE({fmt.columns[0]}, '')"] + [f"COALESCE({sep} || {c}, '')" for c in fmt.columns[1:]])
    select = (
        f"SELECT _file, _row + {fmt.skip_header}, {text}, {fmt.bad_row_reason()} FROM {spec.table} "
        f"WHERE {where} ORDER BY _file, _row"
    )
    return select, f"DELETE FROM {spec.table} WHERE {where}"


# How load_csv reads the extracts: RFC 4180, an empty unquoted field is NULL and "" an empty string,
# backslashes are data (Postgres' CSV never escapes with them). A row with the wrong number of fields
# (ERROR_ON_COLUMN_COUNT_MISMATCH, TRUE by default) or any other bad row aborts the whole load.
CSV_FILE_FORMAT = (
    "TYPE = CSV COMPRESSION = GZIP FIELD_DELIMITER = ',' SKIP_HEADER = 0 FIELD_OPTIONALLY_ENCLOSED_BY = '\"' "
    "ESCAPE_UNENCLOSED_FIELD = NONE EMPTY_FIELD_AS_NULL = TRUE NULL_IF = ()"
)


def put_sql(path: str | Path, stage_path: str) -> str:
    """PUT a local file to a stage folder (the connector compresses it to .gz on the way)."""
    local = str(Path(path).resolve())
    if "'" in local:
        raise ValueError(f"PUT: unsupported character in local path {local!r}")
    return f"PUT 'file://{local}' {stage_path} AUTO_COMPRESS = TRUE OVERWRITE = TRUE PARALLEL = 4"


def table_stage(table: str, folder: str) -> str:
    """A folder of the table's own internal stage (@db.schema.%table/folder/): it goes when the table goes."""
    db, schema, name = identifiers.split_table(table)
    identifiers.check(folder, 1)
    return f"@{db}.{schema}.%{name}/{folder}/"


def load_copy_sql(table: str, columns: Sequence[str], stage_path: str) -> str:
    """COPY the files of a stage folder into the table; PURGE removes them once loaded."""
    names = ", ".join(identifiers.check(c, 1) for c in columns)
    return (
        f"COPY INTO {identifiers.check(table, 3)} ({names}) FROM {stage_path} "
        f"FILE_FORMAT = ({CSV_FILE_FORMAT}) ON_ERROR = ABORT_STATEMENT PURGE = TRUE"
    )


def column_type(data_type: str, precision: int | None, scale: int | None) -> str:
    """Snowflake's INFORMATION_SCHEMA type as one of targets.warehouse.session.COLUMN_TYPES."""
    t = data_type.upper()
    if t in ("NUMBER", "DECIMAL", "NUMERIC"):
        p, s = int(precision or 38), int(scale or 0)
        return "BIGINT" if s == 0 and (p <= 18 or p == 38) else f"DECIMAL({p},{s})"
    if t in ("FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8", "DOUBLE PRECISION"):
        return "DOUBLE"
    if t in ("BOOLEAN", "DATE"):
        return t
    if t.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    return "VARCHAR"


SQL_TYPES = {"BIGINT": "NUMBER(38,0)", "DOUBLE": "FLOAT", "TIMESTAMP": "TIMESTAMP_NTZ"}


def credentials(profile: Profile) -> dict[str, str]:
    """Account, login, role and warehouse of a profile: settings name the roles, secrets hold the logins."""
    cfg = snowflake_settings()
    if profile == "permission_bot":  # permifrost's own variables, account included
        return {
            name: secrets.get(f"PERMISSION_BOT_{name.upper()}") for name in ("account", "user", "password", "role",
                                                                             "warehouse")
        }  # fmt: skip
    prefix, role, warehouse = (
        ("SNOWFLAKE_LOAD", cfg.load_role, cfg.load_warehouse)
        if profile == "loader"
        else ("SNOWFLAKE_TRANSFORM", cfg.transform_role, cfg.transform_warehouse)
    )
    return {
        "account": secrets.get("SNOWFLAKE_ACCOUNT"),
        "user": secrets.get(f"{prefix}_USER"),
        "password": secrets.get(f"{prefix}_PASSWORD"),
        "role": role,
        "warehouse": warehouse,
    }


class SnowflakeSession(Session):
    backend = "snowflake"
    max_files_per_unit = MAX_FILES_PER_COPY

    def __init__(self, query_tag: str, profile: Profile = "loader"):
        super().__init__(query_tag)
        self.profile = profile
        self.integration = snowflake_settings().storage_integration
        self._con: Any = None
        self._last_columns: list[str] = []

    @property
    def con(self) -> Any:
        """Connected on first use: role, warehouse, UTC and the query tag pinned for the session."""
        if self._con is None:
            import snowflake.connector

            snowflake.connector.paramstyle = "qmark"  # the same '?' placeholders as DuckDB
            cfg = snowflake_settings()
            self._con = snowflake.connector.connect(
                **credentials(self.profile),
                login_timeout=cfg.login_timeout,
                autocommit=True,
                session_parameters={
                    "QUERY_TAG": self.query_tag[:2000],
                    "TIMEZONE": "UTC",
                    "TIMESTAMP_TYPE_MAPPING": "TIMESTAMP_NTZ",
                },
            )
        return self._con

    def _execute(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        cur = self.con.cursor()
        try:
            cur.execute(sql, list(params) if params else None)
            self._last_columns = [d[0] for d in cur.description or ()]
            return [tuple(r) for r in cur.fetchall()] if cur.description else []
        finally:
            cur.close()

    def prepare_copy(self, spec: CopySpec) -> None:
        self._execute(file_format_sql(spec.file_format), ())
        self._execute(stage_sql(spec, self.integration), ())

    def copy_files(
        self, spec: CopySpec, files: Sequence[StagedFile], replacing: bool
    ) -> tuple[list[FileResult], list[Reject]]:
        names = [f.path for f in files]
        if replacing:
            self.execute(f"DELETE FROM {spec.table} WHERE _file IN ({bind_marks(names)})", names)
        rows = self.execute(copy_sql(spec, names, replacing))
        results = parse_copy_results(rows, self._last_columns, spec.stage_url)
        select, delete = short_rows_sql(spec, names)
        short = self.execute(select, names)
        self.execute(delete, names)
        rejects = [Reject(file, int(line), text, reason) for file, line, text, reason in short]
        for r in results:
            moved = sum(1 for j in rejects if j.file == r.file)
            r.rows_loaded -= moved
            r.errors_seen += moved
            if r.first_error:  # COPY keeps only the first error of each file
                rejects.append(Reject(r.file, r.first_error_line, None, f"COPY (first of the file): {r.first_error}"))
            if r.errors_seen and r.status == "LOADED":
                r.status = "PARTIALLY_LOADED"
        return results, rejects

    # -- tables as files ---------------------------------------------------------------------------------
    def sql_type(self, type_name: str) -> str:
        t = warehouse_column_type(type_name)
        if t.startswith("DECIMAL("):
            return "NUMBER" + t[len("DECIMAL") :]
        return SQL_TYPES.get(t, t)

    def tables_columns(self, tables: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        keys = {t: identifiers.split_table(t.lower()) for t in tables}
        found: dict[tuple[str, ...], list[tuple[str, str]]] = collections.defaultdict(list)
        for db in sorted({key[0] for key in keys.values()}):
            wanted = sorted({f"{schema}.{name}".upper() for d, schema, name in keys.values() if d == db})
            for schema, name, c, t, p, s in self.execute(
                "SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale "
                f"FROM {db}.information_schema.columns WHERE table_schema || '.' || table_name IN "
                f"({bind_marks(wanted)}) ORDER BY ordinal_position",
                wanted,
            ):
                found[(db, str(schema).lower(), str(name).lower())].append((str(c).lower(), column_type(t, p, s)))
        return {t: found[key] for t, key in keys.items()}

    def _create_scratch(self, beside: str, columns: Sequence[tuple[str, str]]) -> str:
        """A transient table beside the target, under a name of its own (concurrent runs never share one),
        without Time Travel; dropped on exit. Its table stage holds the files loaded into it."""
        db, schema, table = identifiers.split_table(beside)
        name = f"{db}.{schema}._scratch_{table}_{secrets_module.token_hex(4)}"
        columns_sql = ", ".join(f"{c} {t}" for c, t in columns)
        self.execute(f"CREATE TRANSIENT TABLE {name} ({columns_sql}) DATA_RETENTION_TIME_IN_DAYS = 0")
        return name

    def load_csv(self, table: str, columns: Sequence[str], path: str | Path) -> int:
        if Path(path).stat().st_size == 0:
            return 0
        stage_path = table_stage(table, f"load_{secrets_module.token_hex(6)}")
        self.execute(put_sql(path, stage_path))
        rows = self.execute(load_copy_sql(table, columns, stage_path))
        results = parse_copy_results(rows, self._last_columns)
        failed = [r for r in results if r.status != "LOADED" or r.errors_seen]
        if failed:
            detail = "; ".join(f"{r.file}: {r.status}, line {r.first_error_line}: {r.first_error}" for r in failed)
            raise RuntimeError(f"load_csv into {table} failed: {detail}")
        return sum(r.rows_loaded for r in results)

    def unload_csv(self, table: str, columns: Sequence[str], path: str | Path, fetch_rows: int = 50_000) -> int:
        """Through the cursor in batches: the write-back tables are small enough that a stage + GET round
        trip would cost more than it saves."""
        names = ", ".join(identifiers.check(c, 1) for c in columns)
        STATS["SELECT"] += 1
        STATS["total"] += 1
        cur = self.con.cursor()
        written = 0
        try:
            cur.execute(f"SELECT {names} FROM {identifiers.check(table, 3)}")
            with open(path, "w", encoding="utf-8", newline="") as out:
                while batch := cur.fetchmany(fetch_rows):
                    out.writelines(",".join(csv_field(v) for v in row) + "\n" for row in batch)
                    written += len(batch)
        finally:
            cur.close()
        return written

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
