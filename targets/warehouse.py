"""One warehouse interface, two backends (DuckDB embedded, Snowflake).

Tasks talk to a ``Session``: execute SQL with bind parameters (qmark style, ``?``, on both backends),
run a transaction, make sure a table exists, and ``copy`` staged files into a raw table with per-file
results. They never branch on the backend.
"""

from __future__ import annotations

import collections
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from config.settings import warehouse
from targets import identifiers
from targets.formats import CopySpec, FileResult, Reject, StagedFile

logger = logging.getLogger("bizops.warehouse")

# Statements sent per process, by kind; benchmarks and tests read it (e.g. marker queries per run).
STATS: collections.Counter[str] = collections.Counter()

Profile = Literal["loader", "transformer"]

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
        size = self.copy_batch_size
        units = [(new[i : i + size], False) for i in range(0, len(new), size)]
        units += [(replace[i : i + size], True) for i in range(0, len(replace), size)]
        for done, (batch, replacing) in enumerate(units):
            try:
                with self.transaction():
                    self._forget(spec.table, batch)
                    results, rejects = self._copy_batch(spec, batch, replacing)
                    self._record(spec.table, results, rejects)
            except UnreadableFileError as exc:
                with self.transaction():
                    self._forget(spec.table, batch)
                    results, rejects = self._copy_recovered(spec, exc.file, exc, replacing)
                    self._record(spec.table, results, rejects)
            outcome.results.extend(results)
            outcome.rejects.extend(rejects)
            if progress:
                progress(done + 1, len(units))
        return outcome

    copy_batch_size = 1

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
        marks = ", ".join("?" for _ in files)
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

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(query_tag: str, profile: Profile = "loader") -> Session:
    """Open a session on the configured backend."""
    backend = warehouse().backend
    if backend == "snowflake":
        from targets.snowflake_backend import SnowflakeSession

        return SnowflakeSession(query_tag, profile)
    from targets.duckdb_backend import DuckDBSession

    return DuckDBSession(query_tag)
