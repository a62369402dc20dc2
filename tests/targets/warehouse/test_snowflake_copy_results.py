"""COPY results as Snowflake returns them: per-file rows with statuses in any case and file names in any shape,
the single row of a COPY that processed no file, files it leaves out."""

from __future__ import annotations

import pytest

from targets.formats import FileResult
from targets.warehouse.snowflake_copy_results import (
    COPY_RESULT_COLUMNS,
    FilesNotLoadedError,
    parse_copy_results,
    relative_name,
    require_loaded,
    stored_names,
)

STAGE_URL = "s3://landing-bucket/bizops/diagnostics"


def row(file: str, status: str, parsed: int = 10, loaded: int = 10, errors: int = 0, error: str | None = None):
    return (file, status, parsed, loaded, 1, errors, error, 4 if error else None, 3 if error else None, None)


def test_per_file_rows_in_every_status_spelling_and_file_shape():
    rows = [
        row("s3://landing-bucket/bizops/diagnostics/E1/a.gz", "LOADED"),
        row("bizops/diagnostics/E1/b.gz", "loaded"),
        row("E1/c.gz", "Partially loaded", 10, 8, 2, "Invalid UTF8"),
        row("E1/d.gz", "load failed", 10, 0, 10, "Field delimiter not found"),
        row("E1/e.gz", "LOAD_SKIPPED", 0, 0),
    ]
    parsed = parse_copy_results(rows, [c.upper() for c in COPY_RESULT_COLUMNS], STAGE_URL)
    assert [(r.file, r.status) for r in parsed] == [
        ("E1/a.gz", "LOADED"), ("E1/b.gz", "LOADED"), ("E1/c.gz", "PARTIALLY_LOADED"), ("E1/d.gz", "LOAD_FAILED"),
        ("E1/e.gz", "LOAD_SKIPPED"),
    ]  # fmt: skip
    assert parsed[2] == FileResult("E1/c.gz", "PARTIALLY_LOADED", 10, 8, 2, "Invalid UTF8", 4)


def test_a_copy_that_processed_no_file_has_no_result():
    assert parse_copy_results([("Copy executed with 0 files processed.",)], ["status"], STAGE_URL) == []


def test_every_wanted_file_must_be_read_or_the_error_names_it():
    wanted = ["E1/a.gz", "E1/b.gz", "E1/c.gz", "E1/d.gz"]
    results = parse_copy_results([row(f"{STAGE_URL}/E1/a.gz", "LOADED"), row("E1/b.gz", "load failed", 5, 0, 5),
                                  row("E1/c.gz", "LOAD_SKIPPED", 0, 0)], COPY_RESULT_COLUMNS, STAGE_URL)  # fmt: skip
    wants = r"did not load 2 file\(s\) the load history wants: E1/c\.gz, E1/d\.gz"
    with pytest.raises(FilesNotLoadedError, match=wants):
        require_loaded("raw.diagnostics.log_entries", wanted, results)
    with pytest.raises(FilesNotLoadedError, match=r"E1/a\.gz, E1/b\.gz"):  # 'Copy executed with 0 files processed.'
        require_loaded("raw.diagnostics.log_entries", wanted[:2], [])
    require_loaded("raw.diagnostics.log_entries", wanted[:2], results)  # a failed file is read: its errors count


def test_many_missing_files_are_counted_not_all_listed():
    error = FilesNotLoadedError("raw.x.t", [f"f{i}.gz" for i in range(25)])
    assert "25 file(s)" in str(error) and "f9.gz and 15 more" in str(error) and "f10.gz" not in str(error)


@pytest.mark.parametrize(
    "name", ["E1/x.gz", "bizops/diagnostics/E1/x.gz", "s3://landing-bucket/bizops/diagnostics/E1/x.gz"]
)
def test_each_shape_of_a_name_reads_back_stage_relative(name):
    assert relative_name(name, STAGE_URL) == "E1/x.gz"
    assert relative_name(name, STAGE_URL + "/") == "E1/x.gz"


def test_the_shapes_a_stored_name_may_have():
    assert stored_names(["E1/x.gz"], STAGE_URL) == [
        "E1/x.gz", "s3://landing-bucket/bizops/diagnostics/E1/x.gz", "bizops/diagnostics/E1/x.gz"]  # fmt: skip
    assert stored_names(["x.gz"], "data/landing/licenses") == ["x.gz", "data/landing/licenses/x.gz"]
