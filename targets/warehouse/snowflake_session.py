"""The production backend: Snowflake through snowflake-connector-python.

The objects sessions use - databases, schemas, the bookkeeping and raw tables, file formats, stages - are made
by the bootstrap an administrator runs (``python -m ops.snowflake bootstrap --apply``), so the tasks need only
the DML privileges config/roles.yml grants: ``ensure_tables`` checks that tables are there and names the
bootstrap when one is not. Only tables whose columns follow a source (the replicated ones, their scratch
tables) are created by the loader that fills them.

Loads COPY from external stages over the landing bucket, naming the files the ledger chose (see
``snowflake_sql.copy_sql``); a file COPY does not load fails the unit, naming it. Files that carry a '#Fields:'
header (CloudFront) have it read first, from the file's first bytes: one COPY per field order maps each column
to its field (another for files without header lines, whose first lines are data), and every line of a file whose
header lacks kept fields is a reject naming them. Lines missing fields are loaded NULL-padded
(ERROR_ON_COLUMN_COUNT_MISMATCH=FALSE, so the newer 33-field CloudFront lines load too) and then moved to the
rejects in the same transaction; other bad lines are counted by COPY (ON_ERROR=CONTINUE), which reports the first
error of each file only. Local files (table extracts) are PUT into the loader's own internal stage, then copied.
"""

from __future__ import annotations

import collections
import contextlib
import secrets as secrets_module
import zlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from config.settings import snowflake as snowflake_settings
from targets import identifiers
from targets.formats import CopySpec, FileResult, HeaderError, Reject, StagedFile
from targets.landing import read_header
from targets.warehouse.csv_dialect import csv_field
from targets.warehouse.session import STATS, Profile, Session, UnreadableFileError, bind_marks
from targets.warehouse.session import column_type as warehouse_column_type
from targets.warehouse.snowflake_copy_results import (
    parse_copy_results,
    relative_name,
    require_loaded,
    stored_names,
)
from targets.warehouse.snowflake_login import connect_arguments
from targets.warehouse.snowflake_sql import (
    MAX_FILES_PER_COPY,
    copy_sql,
    file_rows_sql,
    load_copy_sql,
    put_sql,
    short_rows_sql,
    sql_type,
    upload_folder,
)

BOOTSTRAP = "python -m ops.snowflake bootstrap --apply"
HEADER_READERS = 16  # files whose header lines are read at once (each a small ranged GET)
FieldOrder = tuple[int | None, ...]  # each column's field index in a file; None: the file lacks that field
CopyGroup = tuple[FieldOrder | None, int]  # files copied by one COPY: their field order, their header lines


class NotBootstrappedError(RuntimeError):
    """A table the pipeline declares is missing (or lacks columns) on Snowflake."""


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


def _field_order(spec: CopySpec, file: StagedFile) -> tuple[CopyGroup, str | None]:
    """The file's field order and header lines (none in a file without a '#Fields:' header: its first lines are
    data), and why its lines are all rejects (its header lacks kept fields) or None."""
    fmt = spec.file_format
    try:
        header = read_header(file, fmt)
    except zlib.error as exc:
        raise UnreadableFileError(file, f"corrupt gzip stream: {exc}") from exc
    skip = fmt.skip_header if header is not None else 0
    try:
        return (fmt.positions(header), skip), None
    except HeaderError as exc:
        return (exc.positions, skip), str(exc)


def field_orders(
    spec: CopySpec, files: Sequence[StagedFile]
) -> tuple[dict[CopyGroup, list[str]], dict[str, list[str]]]:
    """The files (stage-relative names) of each field order and header length, as their '#Fields:' headers give
    them (None: the columns' own order, for a format without headers), and the files whose header lacks kept
    fields, by why."""
    names = [f.path for f in files]
    if not spec.file_format.header_fields:
        return {(None, spec.file_format.skip_header): names}, {}
    with ThreadPoolExecutor(min(HEADER_READERS, len(files)), thread_name_prefix="header") as pool:
        found = list(pool.map(lambda f: _field_order(spec, f), files))
    orders: dict[CopyGroup, list[str]] = collections.defaultdict(list)
    lacking: dict[str, list[str]] = collections.defaultdict(list)
    for name, (group, problem) in zip(names, found, strict=True):
        orders[group].append(name)
        if problem:
            lacking[problem].append(name)
    return dict(orders), dict(lacking)


class SnowflakeSession(Session):
    backend = "snowflake"
    max_files_per_unit = MAX_FILES_PER_COPY

    def __init__(self, query_tag: str, profile: Profile = "loader"):
        super().__init__(query_tag)
        self.profile = profile
        self._con: Any = None
        self._last_columns: list[str] = []

    @property
    def con(self) -> Any:
        """Connected on first use: role, warehouse, UTC, the query tag and the timeouts pinned for the session."""
        if self._con is None:
            import snowflake.connector

            snowflake.connector.paramstyle = "qmark"  # the same '?' placeholders as DuckDB
            self._con = snowflake.connector.connect(**connect_arguments(self.profile, self.query_tag))
        return self._con

    @property
    def last_columns(self) -> list[str]:
        """The column names of the last statement's result (COPY's output is read by name)."""
        return self._last_columns

    def _execute(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        cur = self.con.cursor()
        try:
            cur.execute(sql, list(params) if params else None)
            self._last_columns = [d[0] for d in cur.description or ()]
            return [tuple(r) for r in cur.fetchall()] if cur.description else []
        finally:
            cur.close()

    def ensure_tables(self, tables: Mapping[str, Sequence[tuple[str, str]]]) -> None:
        """One catalog read; no DDL (the role may not create them, and Snowflake checks a CREATE privilege even
        for CREATE ... IF NOT EXISTS of an object that exists)."""
        found = self.tables_columns(list(tables))
        problems = []
        for table, columns in tables.items():
            present = {name for name, _ in found[table]}
            lacking = [name for name, _ in columns if name.lower() not in present]
            if not present:
                problems.append(f"{table} does not exist")
            elif lacking:
                problems.append(f"{table} lacks column(s) {', '.join(lacking)}")
        if problems:
            raise NotBootstrappedError(
                f"{'; '.join(problems)} (seen by role {self.profile}). An administrator creates and updates the "
                f"pipeline's tables with `{BOOTSTRAP}`."
            )

    def _create_table(self, table: str, columns: Sequence[tuple[str, str]]) -> None:
        """In a schema the bootstrap made: creating schemas is not the tasks' privilege."""
        cols = ", ".join(f"{identifiers.check(name, 1)} {ctype}" for name, ctype in columns)
        self.execute(f"CREATE TABLE IF NOT EXISTS {identifiers.check(table, 3)} ({cols})")

    def file_shapes(self, names: Sequence[str], stage_url: str) -> list[str]:
        return stored_names(names, stage_url)

    def copy_files(
        self, spec: CopySpec, files: Sequence[StagedFile], replacing: bool
    ) -> tuple[list[FileResult], list[Reject]]:
        """The unit's rows first go, whether it replaces files or loads new ones: COPY is forced (the ledger
        decides), so rows an earlier loader left for a file new to the ledger would otherwise be doubled."""
        names = [f.path for f in files]
        shapes = self.file_shapes(names, spec.stage_url)
        orders, lacking = field_orders(spec, files)
        self.execute(f"DELETE FROM {spec.table} WHERE _file IN ({bind_marks(shapes)})", shapes)
        results: list[FileResult] = []
        for (order, skip), group in orders.items():
            rows = self.execute(copy_sql(spec, group, order, skip))
            results += parse_copy_results(rows, self.last_columns, spec.stage_url)
        require_loaded(spec.table, names, results)
        found: list[tuple[str, int, str, str]] = []
        for reason, group in lacking.items():  # the whole file is rejects: its header lacks kept fields
            group_shapes = self.file_shapes(group, spec.stage_url)
            select, delete = file_rows_sql(spec, group_shapes)
            found += [(file, line, text, reason) for file, line, text in self.execute(select, group_shapes)]
            self.execute(delete, group_shapes)
        select, delete = short_rows_sql(spec, shapes)
        found += self.execute(select, shapes)
        self.execute(delete, shapes)
        rejects = [Reject(relative_name(file, spec.stage_url), int(line), text, reason) for file, line, text, reason
                   in found]  # fmt: skip
        for r in results:
            moved = sum(1 for j in rejects if j.file == r.file)
            r.rows_loaded -= moved
            r.errors_seen += moved
            if r.first_error:  # COPY keeps only the first error of each file
                rejects.append(Reject(r.file, r.first_error_line, None, f"COPY (first of the file): {r.first_error}"))
            if r.errors_seen and r.status == "LOADED":  # as DuckDB reports it: nothing loaded is a failed load
                r.status = "PARTIALLY_LOADED" if r.rows_loaded else "LOAD_FAILED"
        return results, rejects

    # -- tables as files ---------------------------------------------------------------------------------
    def sql_type(self, type_name: str) -> str:
        return sql_type(warehouse_column_type(type_name))

    def tables_columns(self, tables: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        """Schemas and tables are filtered apart: Snowflake narrows an information_schema scan only by plain
        conditions on them, and one on an expression over both reads the catalog of the whole database, which
        fails on a big one ("Information schema query returned too much data")."""
        keys = {t: identifiers.split_table(t.lower()) for t in tables}
        found: dict[tuple[str, ...], list[tuple[str, str]]] = collections.defaultdict(list)
        for db in sorted({key[0] for key in keys.values()}):
            wanted = {(schema, name) for d, schema, name in keys.values() if d == db}
            schemas = sorted({schema.upper() for schema, _ in wanted})
            names = sorted({name.upper() for _, name in wanted})
            for schema, name, c, t, p, s in self.execute(
                "SELECT table_schema, table_name, column_name, data_type, numeric_precision, numeric_scale "
                f"FROM {db}.information_schema.columns WHERE table_schema IN ({bind_marks(schemas)}) "
                f"AND table_name IN ({bind_marks(names)}) ORDER BY table_schema, table_name, ordinal_position",
                [*schemas, *names],
            ):
                key = (db, str(schema).lower(), str(name).lower())
                if key[1:] in wanted:
                    found[key].append((str(c).lower(), column_type(t, p, s)))
        return {t: found[key] for t, key in keys.items()}

    def _create_scratch(self, beside: str, columns: Sequence[tuple[str, str]]) -> str:
        """A transient table beside the target, under a name of its own (concurrent runs never share one),
        without Time Travel; dropped on exit."""
        db, schema, table = identifiers.split_table(beside)
        name = f"{db}.{schema}._scratch_{table}_{secrets_module.token_hex(4)}"
        columns_sql = ", ".join(f"{c} {t}" for c, t in columns)
        self.execute(f"CREATE TRANSIENT TABLE {name} ({columns_sql}) DATA_RETENTION_TIME_IN_DAYS = 0")
        return name

    def load_csv(self, table: str, columns: Sequence[str], path: str | Path) -> int:
        """Through a folder of its own in the loader's internal stage ([snowflake] upload_stage): a table's own
        stage takes files only from the table's owner, which an earlier loader's tables refuse."""
        if Path(path).stat().st_size == 0:
            return 0
        folder = upload_folder(snowflake_settings().upload_stage, f"load_{secrets_module.token_hex(6)}")
        self.execute(put_sql(path, folder))
        try:
            rows = self.execute(load_copy_sql(table, columns, folder))
            results = parse_copy_results(rows, self.last_columns)
            failed = [r for r in results if r.status != "LOADED" or r.errors_seen]
            if failed:
                detail = "; ".join(f"{r.file}: {r.status}, line {r.first_error_line}: {r.first_error}" for r in failed)
                raise RuntimeError(f"load_csv into {table} failed: {detail}")
        except BaseException:
            with contextlib.suppress(Exception):  # PURGE removes only loaded files; the load's error is the news
                self.execute(f"REMOVE {folder}")
            raise
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
