"""The warehouse interface: a ``Session`` per backend (DuckDB embedded, Snowflake).

Tasks talk to a ``Session``: execute SQL with bind parameters (qmark style, ``?``, on both backends), run a
transaction, make sure a table exists, and copy staged files into a raw table (the ledger in
``targets.warehouse.ledger`` decides which). Tables are also moved as local CSV files (``load_csv``,
``unload_csv``), staged through a private ``scratch_table``, and described with the column types of
``COLUMN_TYPES``. Tasks never branch on the backend.
"""

from __future__ import annotations

import collections
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence, Sized
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

from targets import identifiers
from targets.formats import CopySpec, FileResult, Reject, StagedFile

# Statements sent per process, by kind; benchmarks and tests read it (e.g. marker queries per run).
STATS: collections.Counter[str] = collections.Counter()

# Whose Snowflake login and role: the tasks' three, and "admin", the permission bot's login as SYSADMIN (the
# bootstrap's and the smoke check's).
Profile = Literal["loader", "transformer", "permission_bot", "admin"]
T = TypeVar("T")

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


MAX_IN_LIST = 16_384  # Snowflake refuses an IN list of more expressions


def chunks(items: Sequence[T], size: int = MAX_IN_LIST) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items: the bind lists of a statement run once per slice."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class UnreadableFileError(Exception):
    """A file the reader cannot stream to its end (truncated or corrupt compression)."""

    def __init__(self, file: StagedFile, message: str):
        super().__init__(f"{file.path}: {message}")
        self.file = file
        self.message = message


CopyResult = tuple[list[FileResult], list[Reject]]


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
        """Make sure a table the pipeline declares exists with these columns; outside transactions."""
        self.ensure_tables({table: columns})

    def ensure_tables(self, tables: Mapping[str, Sequence[tuple[str, str]]]) -> None:
        """Make sure the tables the pipeline declares (its bookkeeping, the raw tables of the loads) exist with
        their columns. The embedded warehouse creates what is missing (DDL: outside transactions); Snowflake's
        are made by the bootstrap an administrator runs, and its sessions only check them."""
        if self._in_transaction:
            raise RuntimeError(f"ensure_tables({', '.join(tables)}) inside a transaction: DDL would commit it")
        for table, columns in tables.items():
            self._create_table(table, columns)

    def _create_table(self, table: str, columns: Sequence[tuple[str, str]]) -> None:
        """Create the schema and the table of (name, backend type) columns, if missing."""
        db, schema, _ = identifiers.split_table(table)
        cols = ", ".join(f"{identifiers.check(name, 1)} {ctype}" for name, ctype in columns)
        self._execute(f"CREATE SCHEMA IF NOT EXISTS {db}.{schema}", ())
        self._execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})", ())

    # -- copying files (the ledger in targets.warehouse.ledger decides which; these hooks copy them) ------
    def prepare_copy(self, spec: CopySpec) -> None:
        """Session settings a copy needs before its units; outside transactions."""

    def prepare_merge(self, compact: bool) -> None:
        """Settings for a session whose work is one transaction merging staged rows into a table; ``compact``:
        its commit may also rewrite the table's fragmented storage, otherwise it only appends."""

    def file_shapes(self, names: Sequence[str], stage_url: str) -> list[str]:
        """Every value ``_file`` may hold for these stage-relative file names (the names themselves here; on
        Snowflake, METADATA$FILENAME may also put the stage's URL or bucket path in front)."""
        return list(names)

    max_files_per_unit = 1

    def copy_unit_size(self, files: int) -> int:
        """Files per unit (one transaction) when copying this many."""
        return self.max_files_per_unit

    def run_units(
        self, load: Callable[[Session, Sequence[StagedFile], bool], CopyResult], units: list[tuple[list, bool]]
    ) -> Iterator[CopyResult]:
        """Run the copy units in order; a backend may run them concurrently on sessions of its own."""
        for files, replacing in units:
            yield load(self, files, replacing)

    @abstractmethod
    def copy_files(self, spec: CopySpec, files: Sequence[StagedFile], replacing: bool) -> CopyResult:
        """Load one unit of files inside the open transaction; raise UnreadableFileError for a damaged file."""

    def copy_recovered(
        self, spec: CopySpec, file: StagedFile, error: UnreadableFileError, replacing: bool
    ) -> CopyResult:
        """Load what a damaged file holds before the damage, inside the open transaction; by default nothing
        can be recovered and the error stands."""
        raise error

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
        or retypes a column: for tables whose columns follow a source (the replicated ones), made by the profile
        that loads them, in a schema that exists. DDL: call it outside transactions. ``existing``: the table's
        columns, when the caller has just read them. Returns the names added to an existing table."""
        if self._in_transaction:
            raise RuntimeError(f"ensure_columns({table}) inside a transaction: DDL would commit it on Snowflake")
        present = {name for name, _ in (self.table_columns(table) if existing is None else existing)}
        if not present:
            self._create_table(table, [(name, self.sql_type(ctype)) for name, ctype in columns])
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
