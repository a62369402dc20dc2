"""The files with the most rejects, as a load's alert names them: over as many files as a load has, in more
lists than one statement takes."""

from __future__ import annotations

from targets.formats import FileResult, Reject
from targets.warehouse import ledger
from targets.warehouse.connect import connect

TABLE = "raw.diagnostics.log_entries"


def test_the_most_rejected_files_come_first_across_every_list(env):
    files = [f"E/f{i:05d}.gz" for i in range(40_000)]
    few, more, most = files[0], files[20_000], files[-1]  # one in each list of bind marks
    rejects = [Reject(few, 9, "x", "short")] + [Reject(more, n, "x", "bad date") for n in (5, 7)]
    rejects += [Reject(most, n, "x", "no tab") for n in (3, 4, 8)]
    with connect("t") as s:
        ledger.ensure(s)
        with s.transaction():
            ledger.record(s, TABLE, [FileResult(f, "LOADED", 10, 10) for f in (few, more, most)], rejects)
        assert ledger.most_rejected(s, TABLE, files) == [
            (most, 3, 3, "no tab"), (more, 2, 5, "bad date"), (few, 1, 9, "short")]  # fmt: skip
        assert ledger.most_rejected(s, TABLE, files, top=2) == [(most, 3, 3, "no tab"), (more, 2, 5, "bad date")]


def test_a_loads_error_names_three_files_at_most(env):
    files = [f"E/f{i}.gz" for i in range(4)]
    rejects = [Reject(f, line, "x", "bad") for i, f in enumerate(files) for line in range(1, i + 2)]
    with connect("t") as s:
        ledger.ensure(s)
        with s.transaction():
            ledger.record(s, TABLE, [FileResult(f, "LOADED", 10, 10) for f in files], rejects)
        assert [file for file, *_ in ledger.most_rejected(s, TABLE, files)] == ["E/f3.gz", "E/f2.gz", "E/f1.gz"]
