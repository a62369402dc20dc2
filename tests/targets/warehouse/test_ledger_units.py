"""A copy's units on the embedded warehouse: progress counted by unit, a first load deleting nothing, a rerun skipping
what the ledger knows, and a damaged file - alone in its unit, beside a file with rejects, forced again - recovered
without losing or doubling anything."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from targets.formats import CLOUDFRONT, META_COLUMNS, CopySpec, StagedFile
from targets.warehouse import ledger
from targets.warehouse.connect import connect
from targets.warehouse.duckdb_session import DuckDBSession
from targets.warehouse.session import STATS
from tests.conftest import wh as query
from tests.tasks.extract.corpus import DOC_26, LEGACY_26, cf

TABLE = "raw.diagnostics.log_entries"
PREFIX = "ESECCHECKONE01"
HEADER = f"#Version: 1.0\n#Fields: {LEGACY_26}\n"


@pytest.fixture
def stage(env: Path) -> Path:
    path = env / "landing" / "diagnostics"
    raw = [(column, "VARCHAR") for column in CLOUDFRONT.columns] + list(META_COLUMNS)
    with connect("t") as s:
        s.ensure_tables({**ledger.BOOKKEEPING, TABLE: raw})
    return path


def staged(stage: Path, name: str, data: bytes) -> StagedFile:
    path = stage / PREFIX / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return StagedFile(f"{PREFIX}/{name}", str(path), len(data))


def copy(stage: Path, files: list[StagedFile], **options) -> ledger.CopyOutcome:
    spec = CopySpec(TABLE, "raw.diagnostics.diagnostics_stage", str(stage), PREFIX, rf"{PREFIX}/.*\.gz", CLOUDFRONT)
    with connect("t") as s:
        return ledger.copy(s, spec, files, **options)


def rows_of(file: StagedFile) -> int:
    return query(f"SELECT count(*) FROM {TABLE} WHERE _file = ?", (file.path,))[0][0]


def test_progress_is_counted_by_unit_and_a_rerun_skips_every_loaded_file(stage, settings) -> None:
    settings.set("warehouse", "copy_threads", 3)  # three files: a unit each
    files = [staged(stage, f"f{i}.gz", gzip.compress(f"{HEADER}{cf(DOC_26)}\n".encode())) for i in range(3)]
    progress: list[tuple[int, int]] = []
    STATS.clear()
    first = copy(stage, files, progress=lambda done, units: progress.append((done, units)))
    assert progress == [(1, 3), (2, 3), (3, 3)]
    assert [r.status for r in first.results] == ["LOADED"] * 3
    assert STATS["DELETE"] == 0, "files new to the ledger have no rows or history to replace"
    again = copy(stage, files)
    assert [(r.file, r.status) for r in again.results] == [(f.path, "LOAD_SKIPPED") for f in files]
    assert [rows_of(f) for f in files] == [1, 1, 1]


def test_a_damaged_file_keeps_its_unit_mates_rejects_and_is_replaced_alone_without_doubling(
    stage, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.set("warehouse", "copy_threads", 1)  # both files in one unit
    dirty = staged(stage, "dirty.gz", gzip.compress(f"{HEADER}{cf(DOC_26)}\nnot a log line\n".encode()))
    body = gzip.compress(f"{HEADER}{''.join(cf(DOC_26) + chr(10) for _ in range(20_000))}".encode())
    cut = staged(stage, "cut.gz", body[: len(body) * 2 // 3])  # a truncated upload
    outcome = copy(stage, [dirty, cut])
    recovered = rows_of(cut)
    assert 0 < recovered < 20_000
    # the damage, at the first line not recovered (after the two header lines), and the malformed line
    expected = [(cut.path, recovered + 3), (dirty.path, 4)]
    assert sorted((j.file, j.line) for j in outcome.rejects) == expected
    assert query(f"SELECT file, line FROM {ledger.REJECTS} ORDER BY file") == expected

    statements: list[str] = []
    execute = DuckDBSession.execute
    monkeypatch.setattr(
        DuckDBSession, "execute", lambda s, sql, params=(): statements.append(sql) or execute(s, sql, params)
    )
    forced = copy(stage, [cut], force=True)  # a unit of the damaged file alone: nothing left to copy whole
    assert not [sql for sql in statements if "IN ()" in sql], "an empty IN list, which Snowflake refuses"
    assert [(r.file, r.status, r.rows_loaded) for r in forced.results] == [(cut.path, "PARTIALLY_LOADED", recovered)]
    assert rows_of(cut) == recovered and rows_of(dirty) == 1
