"""The embedded backend: DuckDB files under [warehouse] duckdb_dir, one per database, attached by name.

COPY semantics are implemented here as Snowflake has them: files listed by the caller are read with
DuckDB's CSV reader, files already in the load history are skipped, and lines the reader rejects come
back as rejects with their line number and text.
"""

from __future__ import annotations

import itertools
import os
import random
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from config.settings import warehouse
from targets import identifiers
from targets.formats import CopySpec, FileResult, Reject, StagedFile
from targets.landing import local_copy
from targets.warehouse import Session, UnreadableFileError

MAX_LINE_BYTES = 2_000_000
_scan_ids = itertools.count()


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _connect_with_retry(dbdir: Path, databases: Sequence[str], timeout: float) -> duckdb.DuckDBPyConnection:
    """One writing process per DuckDB file: wait for another process's lock instead of failing."""
    deadline = time.monotonic() + timeout
    while True:
        con = duckdb.connect(":memory:")
        try:
            for name in databases:
                identifiers.check(name, 1)
                con.execute(f"ATTACH {_literal(str(dbdir / f'{name}.duckdb'))} AS {name}")
            con.execute("SET TimeZone = 'UTC'")
            return con
        except duckdb.IOException as exc:
            con.close()
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.05, 0.3))


def _physical_line(ordinal: int, header_lines: int, skipped: Sequence[int]) -> int:
    """The file line of the ordinal-th data row, given header lines and the lines the reader rejected."""
    line = ordinal + header_lines
    for s in skipped:  # ascending
        if s <= line:
            line += 1
    return line


def _result(name: str, loaded: int, rejects: Sequence[Reject]) -> FileResult:
    status = "LOADED" if not rejects else ("PARTIALLY_LOADED" if loaded else "LOAD_FAILED")
    first = min(rejects, key=lambda r: r.line or 0) if rejects else None
    return FileResult(
        name, status, loaded + len(rejects), loaded, len(rejects),
        first.error if first else None, first.line if first else None,
    )  # fmt: skip


class DuckDBSession(Session):
    backend = "duckdb"

    def __init__(self, query_tag: str):
        super().__init__(query_tag)
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """Connected on first use, so a task holds the files' lock only while it uses the warehouse."""
        if self._con is None:
            cfg = warehouse()
            dbdir = Path(cfg.duckdb_dir)
            dbdir.mkdir(parents=True, exist_ok=True)
            self._con = _connect_with_retry(dbdir, list(cfg.databases), cfg.lock_timeout_seconds)
        return self._con

    def _execute(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        cur = self.con.execute(sql, list(params))
        return cur.fetchall() if cur.description else []

    def _copy_batch(
        self, spec: CopySpec, files: Sequence[StagedFile], force: bool
    ) -> tuple[list[FileResult], list[Reject]]:
        results: list[FileResult] = []
        rejects: list[Reject] = []
        for file in files:
            if force:
                self.execute(f"DELETE FROM {spec.table} WHERE _file = ?", (file.path,))
            with local_copy(file) as path:
                try:
                    result, found = self._load_file(spec, file.path, path, spec.file_format.compression)
                except duckdb.IOException as exc:
                    raise UnreadableFileError(file, str(exc)) from exc
            results.append(result)
            rejects.extend(found)
        return results, rejects

    def _copy_recovered(
        self, spec: CopySpec, file: StagedFile, error: UnreadableFileError, replacing: bool
    ) -> tuple[list[FileResult], list[Reject]]:
        """Keep every complete line before the damage; the damage itself is a reject at its line."""
        if replacing:
            self.execute(f"DELETE FROM {spec.table} WHERE _file = ?", (file.path,))
        data = bytearray()
        inflate = zlib.decompressobj(wbits=31)
        with local_copy(file) as path, open(path, "rb") as src:
            try:
                while chunk := src.read(1 << 20):
                    data += inflate.decompress(chunk)
            except zlib.error:
                pass
        complete = bytes(data[: data.rfind(b"\n") + 1])
        line = complete.count(b"\n") + 1
        damage = Reject(file.path, line, None, f"unreadable compressed stream at line {line}: {error.message}")
        with tempfile.NamedTemporaryFile(suffix=".txt") as tmp:
            tmp.write(complete)
            tmp.flush()
            result, rejects = self._load_file(spec, file.path, tmp.name, "none")
        rejects.append(damage)
        return [_result(file.path, result.rows_loaded, rejects)], rejects

    def _load_file(self, spec: CopySpec, name: str, path: str, compression: str) -> tuple[FileResult, list[Reject]]:
        fmt = spec.file_format
        scan = f"_rejects_{os.getpid()}_{next(_scan_ids)}"
        width = len(fmt.columns) + fmt.extra_fields
        struct = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
        options = [
            f"columns = {{{struct}}}", f"delim = {_literal(fmt.delimiter)}", f"quote = {_literal(fmt.quote)}",
            f"escape = {_literal(fmt.quote)}", "header = false", "auto_detect = false", "null_padding = true",
            f"compression = {_literal(compression)}", f"max_line_size = {MAX_LINE_BYTES}", "strict_mode = true",
            "store_rejects = true", f"rejects_table = {_literal(scan)}", f"rejects_scan = {_literal(scan + '_scan')}",
        ]  # fmt: skip
        if fmt.comment:
            options.append(f"comment = {_literal(fmt.comment)}")
        # Read into a scratch table first: a line missing fields stays NULL-padded there and goes to the
        # rejects; extra trailing fields (newer CloudFront) are read and dropped.
        keep = [f"c{i}" for i in range(len(fmt.columns))]
        last = keep[-1]
        self.execute(
            "CREATE OR REPLACE TEMP TABLE _copy_batch AS "
            f"SELECT row_number() OVER () AS _row, {', '.join(keep)} FROM read_csv(?, {', '.join(options)})",
            (path,),
        )
        reader_rejects = self.execute(
            f"SELECT line, any_value(csv_line), string_agg(DISTINCT error_type || ': ' || error_message, '; ') "
            f"FROM {scan} GROUP BY line ORDER BY line"
        )
        self.execute(f"DROP TABLE IF EXISTS {scan}")
        self.execute(f"DROP TABLE IF EXISTS {scan}_scan")
        loaded = self.execute(
            f"INSERT INTO {spec.table} ({', '.join(fmt.columns)}, _file, _row, _loaded_at) "
            f"SELECT {', '.join(keep)}, ?, _row, CURRENT_TIMESTAMP FROM _copy_batch WHERE {last} IS NOT NULL",
            (name,),
        )[0][0]
        short = self.execute(
            f"SELECT _row, concat_ws(?, {', '.join(keep)}) FROM _copy_batch WHERE {last} IS NULL ORDER BY _row",
            (fmt.delimiter,),
        )
        self.execute("DROP TABLE _copy_batch")
        skipped_lines = [int(r[0]) for r in reader_rejects]
        rejects = [Reject(name, int(line), text, error) for line, text, error in reader_rejects] + [
            Reject(
                name,
                _physical_line(int(row), fmt.skip_header, skipped_lines),
                text,
                f"MISSING FIELDS: expected {len(fmt.columns)} fields",
            )
            for row, text in short
        ]
        return _result(name, int(loaded), rejects), rejects

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
