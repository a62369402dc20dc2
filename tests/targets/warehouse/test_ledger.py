"""The load ledger's bookkeeping on the embedded warehouse: a unit's load history and rejects, and an invalidation,
in a statement per kind - each statement is a round trip while the unit's transaction holds the raw table; and which
files a copy would load, on both backends."""

from __future__ import annotations

import gzip

import pytest

from targets.formats import CLOUDFRONT, META_COLUMNS, CopySpec, FileResult, Reject, StagedFile
from targets.warehouse import ledger
from targets.warehouse.connect import connect
from targets.warehouse.session import STATS
from tests.tasks.extract.corpus import DOC_26, LEGACY_26, cf

TABLE = "raw.diagnostics.log_entries"


def test_a_units_history_and_rejects_take_a_statement_per_kind_and_thousand_rows(env):
    results = [FileResult(f"E/f{i}.gz", "PARTIALLY_LOADED", 10, 8, 2, "bad", 3) for i in range(1500)]
    rejects = [Reject(f"E/f{i % 1500}.gz", i, None if i % 2 else "x\ty", "BAD VALUE") for i in range(3000)]
    with connect("t") as s:
        ledger.ensure(s)
        STATS.clear()
        with s.transaction():
            ledger.record(s, TABLE, results, rejects)
        assert STATS["INSERT"] == 2 + 3
        assert s.execute(f"SELECT count(*), sum(rows_loaded) FROM {ledger.LOAD_HISTORY}") == [(1500, 12000)]
        assert s.execute(f"SELECT count(*), count(raw_text) FROM {ledger.REJECTS}") == [(3000, 1500)]
        assert ledger.read(s, TABLE)["E/f7.gz"] == "PARTIALLY_LOADED"


def test_an_invalidation_is_one_update(env):
    with connect("t") as s:
        ledger.ensure(s)
        with s.transaction():
            ledger.record(s, TABLE, [FileResult(f"E/f{i}.gz", "LOADED", 1, 1) for i in range(300)], [])
        STATS.clear()
        assert ledger.invalidate_files(s, TABLE, r"E/f1\d*\.gz") == 111
        assert STATS["UPDATE"] == 1
        assert sum(status == ledger.INVALIDATED for status in ledger.read(s, TABLE).values()) == 111


def test_totals_over_more_files_than_one_list_takes(env):
    files = [f"E/f{i}.gz" for i in range(40_000)]
    with connect("t") as s:
        ledger.ensure(s)
        with s.transaction():
            ledger.record(s, TABLE, [FileResult(files[0], "LOADED", 5, 4, 1), FileResult(files[-1], "LOADED", 7, 7)],
                          [Reject(files[0], 2, "x", "bad")])  # fmt: skip
        assert ledger.totals(s, TABLE, files) == ledger.Totals(12, 11, 1)
        assert ledger.most_rejected(s, TABLE, files) == [(files[0], 1, 2, "bad")]


@pytest.mark.parametrize("backend", ["env", "snowflake"])
def test_unloaded_files_are_those_a_copy_would_load(backend, request):
    request.getfixturevalue(backend)
    with connect("t") as s:
        ledger.ensure(s)
        with s.transaction():
            ledger.record(s, TABLE, [FileResult(f"E/f{i}.gz", "LOADED", 1, 1) for i in range(3)], [])
            ledger.record(s, "raw.other.table", [FileResult("E/f3.gz", "LOADED", 1, 1)], [])
        ledger.invalidate_files(s, TABLE, r"E/f1\.gz")
        assert ledger.unloaded(s, TABLE, [f"E/f{i}.gz" for i in range(4)]) == ["E/f1.gz", "E/f3.gz"]


def test_a_copy_reads_the_load_history_of_the_files_it_is_given_only(env, monkeypatch):
    """Which files a copy loads comes from the history of its own files, not the table's whole history: a day's
    copy reads as many rows of it after a year of loads as after a week."""
    stage = env / "landing" / "diagnostics"
    spec = CopySpec(TABLE, "raw.diagnostics.diagnostics_stage", str(stage), "ESECCHECKONE01",
                    r"ESECCHECKONE01/.*\.gz", CLOUDFRONT)  # fmt: skip
    files = []
    for name in ("ESECCHECKONE01/old7.gz", "ESECCHECKONE01/new.gz"):
        body = gzip.compress(f"#Version: 1.0\n#Fields: {LEGACY_26}\n{cf(DOC_26)}\n".encode())
        (stage / name).parent.mkdir(parents=True, exist_ok=True)
        (stage / name).write_bytes(body)
        files.append(StagedFile(name, str(stage / name), len(body)))
    with connect("t") as s:
        s.ensure_tables({**ledger.BOOKKEEPING, TABLE: [(c, "VARCHAR") for c in CLOUDFRONT.columns] + [*META_COLUMNS]})
        with s.transaction():
            ledger.record(s, TABLE, [FileResult(f"ESECCHECKONE01/old{i}.gz", "LOADED", 1, 1) for i in range(2000)], [])
        history_rows_read = []
        execute = s.execute

        def counting(sql: str, params=()) -> list[tuple]:
            rows = execute(sql, params)
            if sql.startswith("SELECT") and ledger.LOAD_HISTORY in sql:
                history_rows_read.append(len(rows))
            return rows

        monkeypatch.setattr(s, "execute", counting)
        outcome = ledger.copy(s, spec, files)
        assert [(r.file, r.status) for r in outcome.results] == [
            ("ESECCHECKONE01/old7.gz", "LOAD_SKIPPED"), ("ESECCHECKONE01/new.gz", "LOADED"),
        ]  # fmt: skip
        assert sum(history_rows_read) == 1  # old7's row
