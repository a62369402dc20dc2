"""The embedded backend: DuckDB files under [warehouse] duckdb_dir, one per database, attached by name.

COPY semantics are implemented here as Snowflake has them: the files the ledger chose are read with DuckDB's CSV
reader (a log file line by line, each line split here), and the lines that are rejects come back with their line
number, their text as written and why.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import math
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
from isal import isal_zlib

from config.settings import warehouse
from targets import identifiers
from targets.formats import CopySpec, FileFormat, FileResult, HeaderError, Reject, StagedFile
from targets.landing import local_copy
from targets.warehouse.duckdb_instance import Connection, literal
from targets.warehouse.session import CopyResult, Session, UnreadableFileError, bind_marks

MAX_LINE_BYTES = 2_000_000  # longer is no log line (AWS logs no URL over 8 KB, no headers over 20 KB): a reject
WHOLE_LINE = "\x01"  # a delimiter no log line holds: the reader returns each line as one field
MAX_CSV_LINE_BYTES = 2_097_152  # a row of a table extract (long text fields, quoted newlines): DuckDB default
_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
_scan_ids = itertools.count()


def _column_type(duckdb_type: str) -> str:
    """DuckDB's catalog type as one of targets.warehouse.session.COLUMN_TYPES."""
    t = duckdb_type.upper().replace(" ", "")
    if t in _INTEGERS:
        return "BIGINT"
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return "DOUBLE"
    if t.startswith("DECIMAL("):
        return t
    if t in ("BOOLEAN", "DATE"):
        return t
    if t.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    return "VARCHAR"


def gunzip(path: str, out: BinaryIO) -> str | None:
    """Inflate a gzip file into ``out``; what is wrong with the stream, or None. DuckDB's own gzip reader
    checks neither the deflate data nor the CRC, so a corrupt file would load garbage rows. (Inflated with
    ISA-L: the same checks as zlib, and faster.)"""
    inflate = isal_zlib.decompressobj(wbits=31)
    try:
        with open(path, "rb") as src:
            while chunk := src.read(1 << 20):
                out.write(inflate.decompress(chunk))
    except isal_zlib.error as exc:
        return f"corrupt gzip stream: {exc}"
    out.flush()
    return None if inflate.eof else "gzip stream ends before its end (truncated file)"


def _header(path: str, fmt: FileFormat) -> str | None:
    with open(path, encoding="utf-8", errors="replace") as src:
        return fmt.header_line(src)


def _data_lines(path: str, comment: str, wanted: set[int] | None = None) -> Iterator[tuple[int, str]]:
    """(line number, text as written) of the file's data lines (not blank, not comments), or of the ``wanted``
    ones; bytes that are not UTF-8 shown as escapes."""
    with open(path, "rb") as src:
        for number, raw in enumerate(src, 1):
            if wanted is not None and number not in wanted:
                continue
            text = raw.rstrip(b"\r\n").decode("utf-8", errors="backslashreplace")
            if wanted is not None or (text and not (comment and text.startswith(comment))):
                yield number, text


def _split_sql(fmt: FileFormat, lines: str) -> str:
    """SQL of ``split, n, _file`` from a subquery of ``line, n, _file``: each line's list of fields; NULL for a line
    whose quotes do not close."""
    if not fmt.quote:
        return f"SELECT string_split(line, {literal(fmt.delimiter)}) AS split, * EXCLUDE (line) FROM ({lines})"
    # Between quotes (the even pieces) one field; outside them, fields split by the delimiter.
    return (
        f"SELECT CASE WHEN len(pieces) % 2 = 1 THEN flatten(list_transform(pieces, lambda piece, i: "
        f"CASE WHEN i % 2 = 0 THEN [piece] ELSE list_filter(string_split(piece, {literal(fmt.delimiter)}), "
        f"lambda f: f <> '') END)) END AS split, * EXCLUDE (pieces) "
        f"FROM (SELECT string_split(line, {literal(fmt.quote)}) AS pieces, * EXCLUDE (line) FROM ({lines}))"
    )


def _read_sql(fmt: FileFormat, positions: Sequence[int], scan: str, files: int) -> str:
    """The rows of ``files`` files with the same field layout (bind: each file's name and local path): the fields at
    ``positions``, '' as NULL, every one NULL for a line with fewer fields than needed; _row is the line number.
    ``scan`` names the reader's rejects tables.

    A log line is read whole and split here; a CSV record (which may span lines) by the CSV reader. Each file is
    read and numbered by its own reader (an ordered scan, on one core: the copy threads run units side by side),
    and the fields are split once for them all: planning the split costs more than reading a small file."""
    options = [
        "header = false", "auto_detect = false", "compression = 'none'", f"max_line_size = {MAX_LINE_BYTES}",
        "store_rejects = true", f"rejects_table = {literal(scan)}", f"rejects_scan = {literal(scan + '_scan')}",
    ]  # fmt: skip
    if fmt.records == "csv":
        struct = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(fmt.columns)))
        options += [
            f"columns = {{{struct}}}", f"delim = {literal(fmt.delimiter)}", f"quote = {literal(fmt.quote)}",
            f"escape = {literal(fmt.quote)}", "null_padding = true", "parallel = false", "strict_mode = true",
        ]  # fmt: skip
        read = f"SELECT *, ? AS _file, row_number() OVER () AS _row FROM read_csv(?, {', '.join(options)})"
        keep = ", ".join(f"c{p}" for p in positions)
        return f"SELECT {keep}, _file, _row FROM ({' UNION ALL '.join([read] * files)})"
    options += ["columns = {'line': 'VARCHAR'}", f"delim = {literal(WHOLE_LINE)}", "quote = ''", "escape = ''",
                "strict_mode = false"]  # fmt: skip
    read = f"SELECT line, row_number() OVER () AS n, ? AS _file FROM read_csv(?, {', '.join(options)})"
    data = "line IS NOT NULL" + (f" AND NOT starts_with(line, {literal(fmt.comment)})" if fmt.comment else "")
    split = _split_sql(fmt, f"SELECT * FROM ({' UNION ALL '.join([read] * files)}) WHERE {data}")
    fields = f"SELECT CASE WHEN len(split) > {max(positions)} THEN split END AS fields, n, _file FROM ({split})"
    keep = ", ".join(f"nullif(fields[{p + 1}], '')" for p in positions)
    return f"SELECT {keep}, _file, n AS _row FROM ({fields})"


def _result(name: str, loaded: int, rejects: Sequence[Reject]) -> FileResult:
    status = "LOADED" if not rejects else ("PARTIALLY_LOADED" if loaded else "LOAD_FAILED")
    first = min(rejects, key=lambda r: r.line or 0) if rejects else None
    return FileResult(
        name, status, loaded + len(rejects), loaded, len(rejects),
        first.error if first else None, first.line if first else None,
    )  # fmt: skip


class DuckDBSession(Session):
    backend = "duckdb"
    # At most this many files per transaction (a unit). Big units matter: a transaction appending a row group or
    # more (122,880 rows) has DuckDB write it compressed straight into the file; a smaller one goes through the
    # WAL and is written again at the checkpoint (bench/loads.py).
    max_files_per_unit = 64

    def __init__(self, query_tag: str, connection: duckdb.DuckDBPyConnection | None = None):
        super().__init__(query_tag)
        self._con = connection  # given: a cursor of another session's connection, which owns it
        self._connection: Connection | None = None
        self._known_types: dict[str, list[tuple[str, str]]] = {}  # scratch tables' columns

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """Connected on first use, so a task holds the files' lock only while it uses the warehouse."""
        if self._con is None:
            cfg = warehouse()
            dbdir = Path(cfg.duckdb_dir)
            dbdir.mkdir(parents=True, exist_ok=True)
            self._connection = Connection(dbdir, tuple(cfg.databases), cfg.lock_timeout_seconds)
            self._con = self._connection.con
        return self._con

    def _set(self, setting: str, value: str | None) -> None:
        """An instance-wide setting for this session's work (None: its default), reset when the files are detached."""
        identifiers.check(setting, 1)
        self.execute(f"SET {setting} = {value}" if value is not None else f"RESET {setting}")
        if self._connection is not None:
            self._connection.changed.add(setting)

    def _execute(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        cur = self.con.execute(sql, list(params))
        return cur.fetchall() if cur.description else []

    def run_units(
        self, load: Callable[[Session, Sequence[StagedFile], bool], CopyResult], units: list[tuple[list, bool]]
    ) -> Iterator[CopyResult]:
        """Files load concurrently, each unit in its own transaction on its own connection to the same
        database (DuckDB appends to one table from several transactions without conflict)."""
        threads = min(warehouse().copy_threads, len(units))
        if threads <= 1:
            yield from super().run_units(load, units)
            return
        local = threading.local()
        cursors: list[DuckDBSession] = []

        def run(unit: tuple[list, bool]) -> CopyResult:
            if not hasattr(local, "session"):
                local.session = DuckDBSession(self.query_tag, connection=self.con.cursor())
                cursors.append(local.session)
            return load(local.session, *unit)

        try:
            with ThreadPoolExecutor(threads, thread_name_prefix="copy") as pool:
                yield from pool.map(run, units)
        finally:
            for cursor in cursors:
                cursor.close()

    def prepare_copy(self, spec: CopySpec) -> None:
        # A unit's row groups end at file boundaries, so a load leaves partial ones. This session's checkpoints
        # then do not merge them (vacuum): it would rewrite what was just written and hold it all in memory at
        # once (bench/loads.py: memory growing with the input). Scans do not mind a few partial row groups.
        self._set("max_vacuum_tasks", "0")

    def prepare_merge(self, compact: bool) -> None:
        # The merge's commit writes its rows into the database file (a checkpoint) instead of the WAL: the files'
        # detach as the session closes would checkpoint them anyway, so they would be written twice
        # (bench/replication.py).
        self._set("checkpoint_threshold", "'0b'")
        # Staged and merged rows need no order: DuckDB parses and inserts them on every thread.
        self._set("preserve_insertion_order", "false")
        # Vacuum would fold each merge's appended rows into the table's last row group, rewriting a bigger one
        # at every commit, each commit slower than the last. Left alone, each merge adds a small row
        # group until a compacting session merges them.
        self._set("max_vacuum_tasks", None if compact else "0")

    def copy_unit_size(self, files: int) -> int:
        """Even units, as many as a multiple of the copy threads (each unit's statement numbers its files' rows on
        one core, so a thread left without a unit idles a core), and no small remainder (a unit under a row group
        goes through the WAL)."""
        threads = max(1, warehouse().copy_threads)
        units = threads * math.ceil(files / (self.max_files_per_unit * threads))
        return max(1, math.ceil(files / max(1, units)))

    def copy_files(
        self, spec: CopySpec, files: Sequence[StagedFile], replacing: bool
    ) -> tuple[list[FileResult], list[Reject]]:
        if replacing:
            self.execute(f"DELETE FROM {spec.table} WHERE _file IN ({bind_marks(files)})", [f.path for f in files])
        with contextlib.ExitStack() as stack:
            readable: dict[str, str] = {}  # local path DuckDB reads -> the file's stage-relative name
            for file in files:
                path = stack.enter_context(local_copy(file))
                if spec.file_format.compression == "gzip":
                    # Inflated and verified here (DuckDB's reader checks neither the data nor the CRC).
                    plain = stack.enter_context(tempfile.NamedTemporaryFile(suffix=".txt"))
                    if damage := gunzip(path, plain):
                        raise UnreadableFileError(file, damage)
                    path = plain.name
                readable[path] = file.path
            try:
                return self._load_files(spec, readable)
            except duckdb.IOException as exc:
                culprit = next((f for f, path in zip(files, readable, strict=True) if path in str(exc)), None)
                if culprit is None:
                    raise
                raise UnreadableFileError(culprit, str(exc)) from exc

    def copy_recovered(
        self, spec: CopySpec, file: StagedFile, error: UnreadableFileError, replacing: bool
    ) -> tuple[list[FileResult], list[Reject]]:
        """A stream that just ends early (truncated upload) keeps every complete line before the end; a corrupt
        one (bad deflate data or checksum) loads nothing, since its lines cannot be trusted. Either way the
        damage is a reject naming the line where it starts."""
        if replacing:
            self.execute(f"DELETE FROM {spec.table} WHERE _file = ?", (file.path,))
        data, corrupt = bytearray(), False
        inflate = isal_zlib.decompressobj(wbits=31)
        with local_copy(file) as path, open(path, "rb") as src:
            try:
                while chunk := src.read(1 << 20):
                    data += inflate.decompress(chunk)
            except isal_zlib.error:
                corrupt = True
        complete = b"" if corrupt else bytes(data[: data.rfind(b"\n") + 1])
        line = complete.count(b"\n") + 1
        kind = "corrupt compressed stream: nothing of the file is loaded" if corrupt else "compressed stream ends"
        damage = Reject(file.path, line, None, f"{kind} (at line {line}): {error.message}")
        with tempfile.NamedTemporaryFile(suffix=".txt") as tmp:
            tmp.write(complete)
            tmp.flush()
            [result], rejects = self._load_files(spec, {tmp.name: file.path})
        rejects.append(damage)
        return [_result(file.path, result.rows_loaded, rejects)], rejects

    def _load_files(self, spec: CopySpec, files: dict[str, str]) -> tuple[list[FileResult], list[Reject]]:
        """Load plain files (local path -> name) in one statement; per-file results and rejects.

        A log line is read whole and split here, not by the CSV reader: a row's ``_row`` is its line in the file,
        a reject keeps the line as written, a line with an unclosed quote is one reject (the reader would run
        on into the next lines), and each file's fields are found by its own '#Fields:' header."""
        fmt = spec.file_format
        loaded_at = f"TIMESTAMP '{datetime.now(UTC).replace(tzinfo=None).isoformat(sep=' ')}'"
        rejects: dict[str, list[Reject]] = collections.defaultdict(list)
        scan = f"_rejects_{os.getpid()}_{next(_scan_ids)}"
        layouts: dict[tuple[int, ...], list[str]] = collections.defaultdict(list)  # field positions -> bind values
        for path, name in files.items():
            try:
                layouts[fmt.positions(_header(path, fmt))] += [name, path]
            except HeaderError as exc:  # every line of the file is a reject, with why
                rejects[name] = [Reject(name, n, text, str(exc)) for n, text in _data_lines(path, fmt.comment)]
        reads = [_read_sql(fmt, positions, scan, len(binds) // 2) for positions, binds in layouts.items()]
        params = [value for binds in layouts.values() for value in binds]
        if reads:
            self.execute(
                f"INSERT INTO {spec.table} ({', '.join(fmt.columns)}, _file, _row, _loaded_at) "
                f"SELECT *, {loaded_at} FROM ({' UNION ALL '.join(reads)})",
                params,
            )
        # Lines the reader itself refuses (bad UTF-8, too long) come as no row: the rows after them are renumbered.
        mine = f"_loaded_at = {loaded_at} AND _file IN ({bind_marks(files)})"
        refused: dict[str, list[int]] = collections.defaultdict(list)
        if reads:
            for path, line, error in self.execute(
                f"SELECT s.file_path, r.line, string_agg(DISTINCT r.error_type || ': ' || r.error_message, '; ') "
                f"FROM {scan} AS r JOIN {scan}_scan AS s USING (scan_id, file_id) GROUP BY ALL ORDER BY 1, 2"
            ):
                rejects[files[path]].append(Reject(files[path], int(line), None, error))
                refused[files[path]].append(int(line))
            self.execute(f"DROP TABLE IF EXISTS {scan}")
            self.execute(f"DROP TABLE IF EXISTS {scan}_scan")
        for name, lines in refused.items():
            # The row read n-th is line n plus the refused lines before it: the i-th of them if line_i - i < n.
            self.execute(
                f"UPDATE {spec.table} SET _row = _row + len(list_filter(?::BIGINT[], lambda s: s < _row)) "
                f"WHERE _loaded_at = {loaded_at} AND _file = ?",
                ([line - i for i, line in enumerate(sorted(lines), start=1)], name),
            )
        # A row missing fields or with a value that does not cast is a reject too: rare, moved out if any. The
        # rows' _loaded_at, a literal, lets these skip every row group written before (zone maps).
        counts = self.execute(
            f"SELECT _file, count(*), count(*) FILTER ({fmt.bad_row()}) FROM {spec.table} WHERE {mine} GROUP BY _file",
            list(files.values()),
        )
        if any(n for _, _, n in counts):
            for name, row, reason in self.execute(
                f"DELETE FROM {spec.table} WHERE {mine} AND ({fmt.bad_row()}) "
                f"RETURNING _file, _row, {fmt.bad_row_reason()}",
                list(files.values()),
            ):
                rejects[name].append(Reject(name, int(row), None, reason))
        rows = {name: total - n for name, total, n in counts}
        by_path = {name: path for path, name in files.items()}
        for name, found in rejects.items():
            found.sort(key=lambda r: r.line or 0)
            if any(r.raw_text is None for r in found):  # each rejected line as written in the file
                text = dict(_data_lines(by_path[name], fmt.comment, {r.line for r in found}))
                found[:] = [Reject(r.file, r.line, text.get(r.line or 0, r.raw_text), r.error) for r in found]
        results = [_result(name, rows.get(name, 0), rejects[name]) for name in files.values()]
        return results, [r for name in files.values() for r in rejects[name]]

    # -- tables as files ---------------------------------------------------------------------------------
    def _catalog_types(self, tables: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        """(lower-case name, DuckDB type) of each table's columns in order; [] for a missing table."""
        keys = {t: tuple(part.lower() for part in identifiers.split_table(t)) for t in tables}
        databases = sorted({key[0] for key in keys.values()})
        found: dict[tuple[str, ...], list[tuple[str, str]]] = collections.defaultdict(list)
        # Whole databases, matched here: a filter on the qualified name is much slower in a fresh session.
        for db, schema, name, column, ctype in self.execute(
            "SELECT lower(database_name), lower(schema_name), lower(table_name), column_name, data_type "
            f"FROM duckdb_columns() WHERE lower(database_name) IN ({bind_marks(databases)}) ORDER BY column_index",
            databases,
        ):
            found[(db, schema, name)].append((str(column).lower(), str(ctype)))
        return {t: found[key] for t, key in keys.items()}

    def tables_columns(self, tables: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        catalog = self._catalog_types(tables)
        return {t: [(name, _column_type(ctype)) for name, ctype in cols] for t, cols in catalog.items()}

    def _create_scratch(self, beside: str, columns: Sequence[tuple[str, str]]) -> str:
        """A temporary table: private to this connection, gone with it even after a crash."""
        name = f"_scratch_{identifiers.split_table(beside)[2]}"
        self.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns)})")
        qualified = f"temp.main.{name}"
        self._known_types[qualified] = [(c.lower(), t) for c, t in columns]  # load_csv needs no catalog read
        return qualified

    def _drop_scratch(self, name: str) -> None:
        self._known_types.pop(name, None)
        super()._drop_scratch(name)

    def load_csv(self, table: str, columns: Sequence[str], path: str | Path) -> int:
        types = dict(self._known_types.get(table) or self._catalog_types([table])[table])
        cols = [identifiers.check(c, 1).lower() for c in columns]
        missing = [c for c in cols if c not in types]
        if missing:
            raise ValueError(f"load_csv: {table} has no column(s) {', '.join(missing)}")
        struct = ", ".join(f"{literal(c)}: {literal(types[c])}" for c in cols)
        options = (
            f"columns = {{{struct}}}, header = false, auto_detect = false, delim = ',', quote = '\"', "
            f"escape = '\"', nullstr = '', allow_quoted_nulls = false, strict_mode = true, "
            f"max_line_size = {MAX_CSV_LINE_BYTES}"
        )
        names = ", ".join(cols)
        loaded = self.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM read_csv(?, {options})", (str(path),))
        return int(loaded[0][0])

    def unload_csv(self, table: str, columns: Sequence[str], path: str | Path, fetch_rows: int = 50_000) -> int:
        names = ", ".join(identifiers.check(c, 1) for c in columns)
        written = self.execute(
            f"COPY (SELECT {names} FROM {identifiers.check(table, 3)}) TO {literal(str(path))} "
            "(FORMAT csv, HEADER false, QUOTE '\"', ESCAPE '\"', NULLSTR '')"
        )
        return int(written[0][0])

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        elif self._con is not None:
            self._con.close()
        self._con = self._connection = None
