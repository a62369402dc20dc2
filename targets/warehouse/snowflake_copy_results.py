"""What a Snowflake COPY reports, read as the ledger needs it: one result per file, under its stage-relative name.

COPY reports a file under its full URL; ``METADATA$FILENAME`` (the rows' ``_file``) is documented as the file's
full path, while the ledger and the landing listing use names relative to the stage. Each side is normalised:
names read back from Snowflake are made stage-relative (``relative_name``), and statements that look rows up by
``_file`` match every shape of a name (``stored_names``), whichever one the account writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlparse

from targets.formats import FileResult

COPY_RESULT_COLUMNS = (
    "file", "status", "rows_parsed", "rows_loaded", "error_limit", "errors_seen", "first_error",
    "first_error_line", "first_error_character", "first_error_column_name",
)  # fmt: skip
LOADED_STATUSES = ("LOADED", "PARTIALLY_LOADED", "LOAD_FAILED")  # a file COPY read (its errors are in its result)


class FilesNotLoadedError(RuntimeError):
    """COPY left files the ledger wants unloaded (skipped, or absent from its output)."""

    def __init__(self, table: str, files: Sequence[str]):
        self.files = tuple(files)
        shown = ", ".join(self.files[:10]) + (f" and {len(self.files) - 10} more" if len(self.files) > 10 else "")
        super().__init__(
            f"COPY INTO {table} did not load {len(self.files)} file(s) the load history wants: {shown}. Snowflake "
            "skipped them or did not report them; the unit is rolled back, so a rerun tries them again."
        )


def _prefixes(stage_url: str) -> list[str]:
    """The forms a stage's root takes in front of a file name: its URL, and its path inside the bucket."""
    url = stage_url.rstrip("/")
    path = urlparse(url).path.strip("/") if "://" in url else ""
    return [p for p in (url, path) if p]


def relative_name(name: str, stage_url: str) -> str:
    """A file name as Snowflake reports it (full URL, bucket path or stage-relative), relative to the stage."""
    for prefix in _prefixes(stage_url):
        if name.startswith(prefix + "/"):
            return name[len(prefix) + 1 :]
    return name


def stored_names(names: Iterable[str], stage_url: str) -> list[str]:
    """Every shape ``_file`` may hold for these stage-relative names: the names, and each behind the stage's
    URL and bucket path."""
    prefixes = _prefixes(stage_url)
    return [shape for name in names for shape in (name, *(f"{p}/{name}" for p in prefixes))]


def _status(value: Any) -> str:
    """Snowflake prints 'LOADED' or 'Loaded', 'PARTIALLY_LOADED' or 'partially loaded': one spelling."""
    return re.sub(r"[\s_]+", "_", str(value).strip().upper())


def parse_copy_results(rows: Sequence[Sequence[Any]], names: Sequence[str], stage_url: str = "") -> list[FileResult]:
    """Per-file results of a COPY (columns ``names``, any case). When it processed no file Snowflake returns a
    single row, 'Copy executed with 0 files processed.', in a single column: no result."""
    index = {n.lower(): i for i, n in enumerate(names)}
    if "file" not in index:
        return []
    return [
        FileResult(
            file=relative_name(str(row[index["file"]]), stage_url),
            status=_status(row[index["status"]]),
            rows_parsed=int(row[index["rows_parsed"]] or 0),
            rows_loaded=int(row[index["rows_loaded"]] or 0),
            errors_seen=int(row[index["errors_seen"]] or 0),
            first_error=row[index["first_error"]],
            first_error_line=row[index["first_error_line"]],
        )
        for row in rows
    ]


def require_loaded(table: str, wanted: Sequence[str], results: Sequence[FileResult]) -> None:
    """Raise naming every wanted file COPY did not read: absent from its output, or reported skipped."""
    read = {r.file for r in results if r.status in LOADED_STATUSES}
    missing = [f for f in wanted if f not in read]
    if missing:
        raise FilesNotLoadedError(table, missing)
