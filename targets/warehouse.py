"""One warehouse interface, two backends (DuckDB embedded, Snowflake).

Tasks talk to a ``Session``: execute SQL with bind parameters (qmark style, ``?``, on both backends),
run a transaction, make sure a table exists, and ``copy`` staged files into a raw table with per-file
results. Tables are also moved as local CSV files (``load_csv``, ``unload_csv``), staged through a
private ``scratch_table``, and described with the column types of ``COLUMN_TYPES``. They never branch
on the backend.
"""

from __future__ import annotations

import collections
import functools
import logging
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence, Sized
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from config.settings import warehouse
from targets import identifiers
from targets.formats import CopySpec, FileResult, Reject, StagedFile

logger = logging.getLogger("bizops.warehouse")

# Statements sent per process, by kind; benchmarks and tests read it (e.g. marker queries per run).
STATS: collections.Counter[str] = collections.Counter()

Profile = Literal["loader", "transformer", "permission_bot"]  # whose Snowflake login and role

# The column types Sessions report (table_columns) and accept (ensure_columns, scratch_table); each backend
# spells them its own way (sql_type: Snowflake NUMBER(p,s), FLOAT, TIMESTAMP_NTZ) and reads anything
# else as VARCHAR.
COLUMN_TYPES = ("VARCHAR", "BIGINT", "DOUBLE", "DECIMAL(p,s)", "BOOLEAN", "DATE", "TIMESTAMP")
_COLUMN_TYPE = re.compile(r"^(VARCHAR|BIGINT|DOUBLE|BOOLEAN|DATE|TIMESTAMP|DECIMAL\((\d{1,2}),(\d{1,2})\))$")


def column_type(name: str) -> str:
    """A type of COLUMN_TYPES, validated (it reaches DDL text)."""
    t = name.upper().replace(" ", "")
    if not _COLUMN_TYPE.match(t):
        raise ValueError(f"unsupported column type {name!r}: expected one of {', '.join(COLUMN_TYPES)}")
    return t


def bind_marks(items: Sized) -> str:
    """One ``?`` per item, comma-separated: the bind list of an ``IN (...)``."""
    return ", ".join("?" for _ in range(len(items)))


def csv_field(value: Any) -> str:
    """One value in the CSV dialect of load_csv/unload_csv (RFC 4180; NULL = empty unquoted field, text
    always quoted, so an empty string is two quotes; timestamps as ISO text in UTC)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


INVALIDATED = "INVALIDATED"  # load-history status: reload this file, replacing its rows
LOAD_HISTORY = "raw.pipeline.load_history"
REJECTS = "raw.pipeline.rejects"
BOOKKEEPING: dict[str, tuple[tuple[str, str], ...]] = {
    LOAD_HISTORY: (
        ("target_table", "VARCHAR"), ("file", "VARCHAR"), ("status", "VARCHAR"), ("rows_parsed", "BIGINT"),
        ("rows_loaded", "BIGINT"), ("errors_seen", "BIGINT"), ("first_error", "VARCHAR"),
        ("loaded_at", "TIMESTAMP"),
    ),
    REJECTS: (
        ("target_table", "VARCHAR"), ("file", "VARCHAR"), ("line", "BIGINT"), ("raw_text", "VARCHAR"),
        ("error", "VARCHAR"), ("loaded_at", "TIMESTAMP"),
    ),
}  # fmt: skip


class UnreadableFileError(Exception):
    """A file the reader cannot stream to its end (truncated or corrupt compression)."""

    def __init__(self, file: StagedFile, message: str):
        super().__init__(f"{file.path}: {message}")
        self.file = file
        self.message = message


CopyResult = tuple[list[FileResult], list[Reject]]


@dataclass
class CopyOutcome:
    results: list[FileResult] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return sum(r.rows_loaded for r in self.results)


class Session(ABC):
    """A connection pinned to one role, warehouse, UTC and a query tag naming the task."""

    backend: str

    def __init__(self, query_tag: str):
        self.query_tag = query_tag
        self._in_transaction = False

    # -- SQL -------------------------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        STATS[sql.split(None, 1)[0].upper()] += 1
        STATS["total"] += 1
        return self._execute(sql, params)

    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any]) -> list[tuple]: ...

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """All-DML unit of work: commits on success, rolls back on any exception."""
        if self._in_transaction:
            raise RuntimeError("nested transactions are not supported")
        self._execute("BEGIN", ())
        self._in_transaction = True
        try:
            yield self
        except BaseException:
            self._execute("ROLLBACK", ())
            raise
        else:
            self._execute("COMMIT", ())
        finally:
            self._in_transaction = False

    def ensure_table(self, table: str, columns: Sequence[tuple[str, str]]) -> None:
        """Create the schema and table if missing. DDL: call it outside transactions (Snowflake commits)."""
        if self._in_transaction:
            raise RuntimeError(f"ensure_table({table}) inside a transaction: DDL would commit it on Snowflake")
        db, schema, _ = identifiers.split_table(table)
        cols = ", ".join(f"{identifiers.check(name, 1)} {ctype}" for name, ctype in columns)
        self._execute(f"CREATE SCHEMA IF NOT EXISTS {db}.{schema}", ())
        self._execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})", ())

    def ensure_bookkeeping(self) -> None:
        for table, columns in BOOKKEEPING.items():
            self.ensure_table(table, columns)

    # -- loading ---------------------------------------------------------------------------------------
    def prepare_copy(self, spec: CopySpec) -> None:
        """DDL a copy needs besides the tables (Snowflake: file format and stage); outside transactions."""

    def prepare_merge(self, compact: bool) -> None:
        """Settings for a session whose work is one transaction merging staged rows into a table; ``compact``:
        its commit may also rewrite the table's fragmented storage, otherwise it only appends."""

    def copy(
        self,
        spec: CopySpec,
        files: Sequence[StagedFile],
        force: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> CopyOutcome:
        """Load files into spec.table as Snowflake's COPY does: a file already in the load history is
        skipped; one marked INVALIDATED there (or any, with ``force``) replaces exactly its own rows.

        Each batch of files is one transaction holding its rows, its rejects and its load-history rows,
        so a crash leaves every file either wholly loaded and recorded or not at all: a rerun repairs.
        Call it outside a transaction.
        """
        self.prepare_copy(spec)
        ledger = self.ledger(spec.table)
        outcome = CopyOutcome()
        new: list[StagedFile] = []
        replace: list[StagedFile] = []
        for f in files:
            status = ledger.get(f.path)
            if status is None:
                new.append(f)
            elif force or status == INVALIDATED:
                replace.append(f)
            else:
                outcome.results.append(FileResult(f.path, "LOAD_SKIPPED"))
        units = self._units(new, False) + self._units(replace, True)
        for done, (results, rejects) in enumerate(self._each_unit(functools.partial(_copy_unit, spec), units)):
            outcome.results.extend(results)
            outcome.rejects.extend(rejects)
            if progress:
                progress(done + 1, len(units))
        return outcome

    def _each_unit(
        self, load: Callable[[Session, Sequence[StagedFile], bool], CopyResult], units: list[tuple[list, bool]]
    ) -> Iterator[CopyResult]:
        """Run the copy units in order; a backend may run them concurrently on sessions of its own."""
        for batch, replacing in units:
            yield load(self, batch, replacing)

    copy_batch_size = 1

    def copy_unit_size(self, files: int) -> int:
        """Files per unit (one transaction) when copying this many."""
        return self.copy_batch_size

    def _units(self, files: list[StagedFile], replacing: bool) -> list[tuple[list, bool]]:
        size = self.copy_unit_size(len(files))
        return [(files[i : i + size], replacing) for i in range(0, len(files), size)]

    @abstractmethod
    def _copy_batch(
        self, spec: CopySpec, files: Sequence[StagedFile], force: bool
    ) -> tuple[list[FileResult], list[Reject]]:
        """Load one batch inside the open transaction; raise UnreadableFileError for a damaged file."""

    def _copy_recovered(
        self, spec: CopySpec, file: StagedFile, error: UnreadableFileError, replacing: bool
    ) -> tuple[list[FileResult], list[Reject]]:
        raise error

    def _forget(self, table: str, files: Sequence[StagedFile]) -> None:
        """Drop earlier history and rejects of files about to be (re)loaded."""
        marks = bind_marks(files)
        for ledger in (LOAD_HISTORY, REJECTS):
            self.execute(
                f"DELETE FROM {ledger} WHERE target_table = ? AND file IN ({marks})", (table, *(f.path for f in files))
            )

    def _record(self, table: str, results: Sequence[FileResult], rejects: Sequence[Reject]) -> None:
        for r in results:
            self.execute(
                f"INSERT INTO {LOAD_HISTORY} VALUES (?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
                (table, r.file, r.status, r.rows_parsed, r.rows_loaded, r.errors_seen, r.first_error),
            )
        for j in rejects:
            self.execute(
                f"INSERT INTO {REJECTS} VALUES (?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
                (table, j.file, j.line, j.raw_text, j.error),
            )

    def ledger(self, table: str) -> dict[str, str]:
        """File -> status of every file the load history knows for the table."""
        rows = self.execute(f"SELECT file, status FROM {LOAD_HISTORY} WHERE target_table = ?", (table,))
        return {file: status for file, status in rows}

    def invalidate_files(self, table: str, pattern: str) -> int:
        """Mark the table's loaded files matching the regex so the next copy replaces their rows."""
        files = [f for f in self.ledger(table) if re.fullmatch(pattern, f)]
        for f in files:
            self.execute(
                f"UPDATE {LOAD_HISTORY} SET status = ? WHERE target_table = ? AND file = ?", (INVALIDATED, table, f)
            )
        return len(files)

    # -- tables as files (CSV: RFC 4180, no header, NULL = empty unquoted field, '' = "") ---------------
    def sql_type(self, type_name: str) -> str:
        """The backend's spelling of a type of COLUMN_TYPES."""
        return column_type(type_name)

    def table_columns(self, table: str) -> list[tuple[str, str]]:
        """(lower-case name, type of COLUMN_TYPES) of each column in order; empty when the table is missing."""
        return self.tables_columns([table])[table]

    def tables_columns(self, tables: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        """table_columns of each table, in one catalog read (on Snowflake, one per database)."""
        raise NotImplementedError

    def ensure_columns(
        self, table: str, columns: Sequence[tuple[str, str]], existing: Sequence[tuple[str, str]] | None = None
    ) -> list[str]:
        """Create the table with these columns (types of COLUMN_TYPES), or add those it lacks; never drops
        or retypes a column. DDL: call it outside transactions. ``existing``: the table's columns, when the
        caller has just read them. Returns the names added to an existing table."""
        if self._in_transaction:
            raise RuntimeError(f"ensure_columns({table}) inside a transaction: DDL would commit it on Snowflake")
        present = {name for name, _ in (self.table_columns(table) if existing is None else existing)}
        if not present:
            self.ensure_table(table, [(name, self.sql_type(ctype)) for name, ctype in columns])
            return []
        added = [(name, ctype) for name, ctype in columns if name.lower() not in present]
        for name, ctype in added:
            # IF NOT EXISTS: concurrent runs sharing a table (the replication state) may both add the column.
            self.execute(f"ALTER TABLE {identifiers.check(table, 3)} ADD COLUMN IF NOT EXISTS "
                         f"{identifiers.check(name, 1)} {self.sql_type(ctype)}")  # fmt: skip
        return [name for name, _ in added]

    @contextmanager
    def scratch_table(self, beside: str, columns: Sequence[tuple[str, str]]) -> Iterator[str]:
        """An empty table private to this session, with these columns (types of COLUMN_TYPES), to stage a
        load of ``beside`` before it is merged in one transaction; dropped on exit. DDL: enter and leave it
        outside transactions. Yields its name (database.schema.table)."""
        if self._in_transaction:
            raise RuntimeError(f"scratch_table({beside}) inside a transaction: DDL would commit it on Snowflake")
        identifiers.check(beside, 3)
        name = self._create_scratch(beside, [(identifiers.check(c, 1), self.sql_type(t)) for c, t in columns])
        try:
            yield name
        finally:
            self._drop_scratch(name)

    def _create_scratch(self, beside: str, columns: Sequence[tuple[str, str]]) -> str:
        """Create the scratch table of (name, backend type) columns; its name."""
        raise NotImplementedError

    def _drop_scratch(self, name: str) -> None:
        self.execute(f"DROP TABLE IF EXISTS {name}")

    def load_csv(self, table: str, columns: Sequence[str], path: str | Path) -> int:
        """Append the rows of a local CSV file to these columns of the table; returns the rows loaded. DML
        (may run inside a transaction); a malformed file fails as a whole, loading nothing."""
        raise NotImplementedError

    def unload_csv(self, table: str, columns: Sequence[str], path: str | Path, fetch_rows: int = 50_000) -> int:
        """Write these columns of every row of the table to a local CSV file, streamed (never the whole
        table in memory); returns the rows written."""
        raise NotImplementedError

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _copy_unit(spec: CopySpec, session: Session, batch: Sequence[StagedFile], replacing: bool) -> CopyResult:
    """One transaction: the batch's rows, rejects and load history. A file whose stream breaks (a truncated
    gzip) rolls the transaction back; the batch is then redone with that file recovered as far as it reads."""
    damaged: dict[str, UnreadableFileError] = {}
    while True:
        try:
            with session.transaction():
                if replacing:
                    session._forget(spec.table, batch)
                whole = [f for f in batch if f.path not in damaged]
                results, rejects = session._copy_batch(spec, whole, replacing) if whole else ([], [])
                for error in damaged.values():
                    more_results, more_rejects = session._copy_recovered(spec, error.file, error, replacing)
                    results += more_results
                    rejects += more_rejects
                session._record(spec.table, results, rejects)
            return results, rejects
        except UnreadableFileError as exc:
            if exc.file.path in damaged:
                raise
            damaged[exc.file.path] = exc


def available_profile() -> Profile:
    """The profile whose login this process has (a pod gets only its tasks' secrets): for reads that any of
    them may do, such as the marker table."""
    for profile, env in (("loader", "SNOWFLAKE_LOAD_USER"), ("transformer", "SNOWFLAKE_TRANSFORM_USER")):
        if os.environ.get(env):
            return profile
    return "permission_bot" if os.environ.get("PERMISSION_BOT_USER") else "loader"


def connect(query_tag: str, profile: Profile = "loader") -> Session:
    """Open a session on the configured backend."""
    backend = warehouse().backend
    if backend == "snowflake":
        from targets.snowflake_backend import SnowflakeSession

        return SnowflakeSession(query_tag, profile)
    from targets.duckdb_backend import DuckDBSession

    return DuckDBSession(query_tag)
