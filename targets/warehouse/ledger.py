"""The load ledger: ``raw.pipeline.load_history`` and ``raw.pipeline.rejects``, kept by the pipeline on every
backend as Snowflake's COPY keeps its load metadata. It decides which files load (a file is loaded once;
one marked INVALIDATED, or any with ``force``, replaces exactly its own rows); backends only copy files.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from targets.formats import CopySpec, FileResult, Reject, StagedFile
from targets.warehouse.session import CopyResult, Session, UnreadableFileError, bind_marks, chunks

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


@dataclass
class CopyOutcome:
    results: list[FileResult] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return sum(r.rows_loaded for r in self.results)


def ensure(session: Session) -> None:
    """Make sure the ledger's tables exist (Session.ensure_tables); outside transactions."""
    session.ensure_tables(BOOKKEEPING)


def copy(
    session: Session,
    spec: CopySpec,
    files: Sequence[StagedFile],
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> CopyOutcome:
    """Load files into spec.table as Snowflake's COPY does: a file already in the load history is
    skipped; one marked INVALIDATED there (or any, with ``force``) replaces exactly its own rows.

    Each unit of files is one transaction holding its rows, its rejects and its load-history rows,
    so a crash leaves every file either wholly loaded and recorded or not at all: a rerun repairs.
    Call it outside a transaction.
    """
    session.prepare_copy(spec)
    known = statuses(session, spec.table, [f.path for f in files])
    outcome = CopyOutcome()
    new: list[StagedFile] = []
    replace: list[StagedFile] = []
    for f in files:
        status = known.get(f.path)
        if status is None:
            new.append(f)
        elif force or status == INVALIDATED:
            replace.append(f)
        else:
            outcome.results.append(FileResult(f.path, "LOAD_SKIPPED"))
    units = _units(session, new, False) + _units(session, replace, True)
    for done, (results, rejects) in enumerate(session.run_units(functools.partial(_copy_unit, spec), units)):
        outcome.results.extend(results)
        outcome.rejects.extend(rejects)
        if progress:
            progress(done + 1, len(units))
    return outcome


def read(session: Session, table: str) -> dict[str, str]:
    """File -> status of every file the load history knows for the table."""
    rows = session.execute(f"SELECT file, status FROM {LOAD_HISTORY} WHERE target_table = ?", (table,))
    return {file: status for file, status in rows}


def statuses(session: Session, table: str, files: Sequence[str]) -> dict[str, str]:
    """File -> status of those of ``files`` the table's load history knows: a look-up as long as the files asked
    about, however long the history."""
    found: dict[str, str] = {}
    for part in chunks(files):
        rows = session.execute(
            f"SELECT file, status FROM {LOAD_HISTORY} WHERE target_table = ? AND file IN ({bind_marks(part)})",
            (table, *part),
        )
        found.update((file, status) for file, status in rows)
    return found


def unloaded(session: Session, table: str, files: Sequence[str]) -> list[str]:
    """Those of ``files`` a copy would load: unknown to the table's load history, or marked INVALIDATED there."""
    known = statuses(session, table, files)
    return [f for f in files if known.get(f, INVALIDATED) == INVALIDATED]


def delete_rows(session: Session, table: str, stage_url: str, files: Sequence[str]) -> None:
    """Delete the rows these files (stage-relative names) loaded into the table, whatever shape of their name
    ``_file`` holds (Session.file_shapes)."""
    for part in chunks(session.file_shapes(files, stage_url)):
        session.execute(f"DELETE FROM {table} WHERE _file IN ({bind_marks(part)})", part)


def invalidate_files(session: Session, table: str, pattern: str) -> int:
    """Mark the table's loaded files matching the regex so the next copy replaces their rows."""
    files = [f for f in read(session, table) if re.fullmatch(pattern, f)]
    for part in chunks(files):  # one statement, unless the IN list would pass Snowflake's limit
        session.execute(
            f"UPDATE {LOAD_HISTORY} SET status = ? WHERE target_table = ? AND file IN ({bind_marks(part)})",
            (INVALIDATED, table, *part),
        )
    return len(files)


def record(session: Session, table: str, results: Sequence[FileResult], rejects: Sequence[Reject]) -> None:
    """Write the load history and the rejects of a unit, inside its transaction: a statement per kind (per
    ROWS_PER_INSERT rows), since every statement is a round trip while the transaction holds the raw table."""
    _insert(session, LOAD_HISTORY, [(table, r.file, r.status, r.rows_parsed, r.rows_loaded, r.errors_seen,
                                     r.first_error) for r in results])  # fmt: skip
    _insert(session, REJECTS, [(table, j.file, j.line, j.raw_text, j.error) for j in rejects])


ROWS_PER_INSERT = 1000  # bind values per statement stay in the thousands (VALUES takes at most 16,384 rows)


def _insert(session: Session, ledger: str, rows: Sequence[tuple]) -> None:
    """Rows of (every column but the last, loaded_at) appended with one multi-row VALUES per ROWS_PER_INSERT."""
    for part in chunks(rows, ROWS_PER_INSERT):
        row = f"({', '.join('?' for _ in part[0])}, CURRENT_TIMESTAMP)"
        session.execute(f"INSERT INTO {ledger} VALUES {', '.join(row for _ in part)}", [v for r in part for v in r])


@dataclass(frozen=True)
class Totals:
    rows_parsed: int = 0
    rows_loaded: int = 0
    errors_seen: int = 0


def totals(session: Session, table: str, files: Sequence[str]) -> Totals:
    """Lines parsed, loaded and rejected over these files of the table, as the load history has them."""
    sums = [0, 0, 0]
    for part in chunks(files):  # a busy CloudFront day has more files than an IN list may name
        row = session.execute(
            f"SELECT coalesce(sum(rows_parsed), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(errors_seen), 0) "
            f"FROM {LOAD_HISTORY} WHERE target_table = ? AND file IN ({bind_marks(part)})",
            (table, *part),
        )[0]
        sums = [total + int(value) for total, value in zip(sums, row, strict=True)]
    return Totals(*sums)


def most_rejected(session: Session, table: str, files: Sequence[str], top: int = 3) -> list[tuple[str, int, int, str]]:
    """(file, rejected lines, first line, an error) of the ``top`` files of these with the most rejects."""
    found: list[tuple[str, int, int, str]] = []
    for part in chunks(files):
        found += session.execute(
            f"SELECT file, count(*) AS n, min(line), any_value(error) FROM {REJECTS} "
            f"WHERE target_table = ? AND file IN ({bind_marks(part)}) GROUP BY file ORDER BY n DESC LIMIT {top}",
            (table, *part),
        )
    return sorted(found, key=lambda row: -row[1])[:top]


def _units(session: Session, files: list[StagedFile], replacing: bool) -> list[tuple[list, bool]]:
    size = session.copy_unit_size(len(files))
    return [(files[i : i + size], replacing) for i in range(0, len(files), size)]


def _forget(session: Session, table: str, files: Sequence[StagedFile]) -> None:
    """Drop earlier history and rejects of files about to be reloaded."""
    marks = bind_marks(files)
    for ledger in (LOAD_HISTORY, REJECTS):
        session.execute(
            f"DELETE FROM {ledger} WHERE target_table = ? AND file IN ({marks})", (table, *(f.path for f in files))
        )


def _copy_unit(spec: CopySpec, session: Session, unit: Sequence[StagedFile], replacing: bool) -> CopyResult:
    """One transaction: the unit's rows, rejects and load history. A file whose stream breaks (a truncated
    gzip) rolls the transaction back; the unit is then redone with that file recovered as far as it reads."""
    damaged: dict[str, UnreadableFileError] = {}
    while True:
        try:
            with session.transaction():
                if replacing:
                    _forget(session, spec.table, unit)
                whole = [f for f in unit if f.path not in damaged]
                results, rejects = session.copy_files(spec, whole, replacing) if whole else ([], [])
                for error in damaged.values():
                    more_results, more_rejects = session.copy_recovered(spec, error.file, error, replacing)
                    results += more_results
                    rejects += more_rejects
                record(session, spec.table, results, rejects)
            return results, rejects
        except UnreadableFileError as exc:
            if exc.file.path in damaged:
                raise
            damaged[exc.file.path] = exc
