"""COPY results as Snowflake returns them: per-file rows with statuses in any case and file names in any shape,
the single row of a COPY that processed no file, files it leaves out."""

from __future__ import annotations

import pytest

from targets.formats import FileResult
from targets.warehouse.snowflake_copy_results import (
    FilesNotLoadedError,
    parse_copy_results,
    relative_name,
    require_loaded,
    stored_names,
)
from tests.conftest import FIXTURES

STAGE_URL = "s3://landing-bucket/bizops/diagnostics"


def _value(cell: str) -> str | int | None:
    return None if cell == "NULL" else int(cell) if cell.isdigit() else cell


def printed(table: str) -> tuple[list[tuple], list[str]]:
    """A COPY result as Snowflake's documentation prints it (a SnowSQL table): its rows, with NULL as None and
    counts as numbers, and its column names from the header, as the connector's cursor describes them."""
    lines = [line.strip() for line in table.strip().splitlines() if not line.strip().startswith("+")]
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines if not line.startswith("|-")]
    return [tuple(_value(c) for c in row) for row in cells[1:]], cells[0]


# COPY INTO <table>'s output as Snowflake documents it: one row per file in ten columns (error_limit between
# rows_loaded and errors_seen), the file under its external URL, the first error of a file kept by ON_ERROR =
# CONTINUE; and, when it processed no file, a single row in a single column.
PER_FILE = (FIXTURES / "snowflake" / "copy_per_file.txt").read_text()
NO_FILE = (FIXTURES / "snowflake" / "copy_no_file.txt").read_text()


def test_per_file_rows_as_snowflake_documents_them():
    rows, names = printed(PER_FILE)
    parsed = parse_copy_results(rows, names, STAGE_URL)
    assert parsed == [
        FileResult("E1/a.gz", "LOADED", 10, 10, 0, None, None),
        FileResult("E1/c.gz", "PARTIALLY_LOADED", 10, 8, 2, "Numeric value 'x' is not recognized", 4),
        FileResult("E1/d.gz", "LOAD_FAILED", 7, 0, 7, "End of record reached while expected to parse", 1),
    ]
    assert parse_copy_results(rows, [n.upper() for n in names], STAGE_URL) == parsed  # as an account may spell them


@pytest.mark.parametrize("spelling", ["LOADED", "Loaded", "loaded"])
@pytest.mark.parametrize("status", ["LOADED", "PARTIALLY_LOADED", "LOAD_FAILED", "LOAD_SKIPPED"])
def test_the_status_is_read_in_any_of_snowflakes_spellings(status, spelling):
    """COPY prints LOADED, the load history 'Loaded', 'Partially loaded', 'Load failed', 'Load skipped'."""
    rows, names = printed(PER_FILE)
    written = {"LOADED": status, "Loaded": status.replace("_", " ").capitalize(), "loaded": status.lower()}[spelling]
    rows = [(rows[0][0], written, *rows[0][2:])]
    assert parse_copy_results(rows, names, STAGE_URL)[0].status == status


def test_a_copy_that_processed_no_file_has_no_result():
    assert parse_copy_results(*printed(NO_FILE), STAGE_URL) == []


def test_every_wanted_file_must_be_read_or_the_error_names_it():
    wanted = ["E1/a.gz", "E1/b.gz", "E1/c.gz", "E1/d.gz"]
    results = parse_copy_results(*printed(PER_FILE), STAGE_URL)
    with pytest.raises(FilesNotLoadedError, match=r"did not load 1 file\(s\) the load history wants: E1/b\.gz\."):
        require_loaded("raw.diagnostics.log_entries", wanted, results)
    rows, names = printed(PER_FILE)
    skipped = parse_copy_results([(rows[0][0], "LOAD_SKIPPED", 0, 0, 0, 0, None, None, None, None)], names, STAGE_URL)
    with pytest.raises(FilesNotLoadedError, match=r"load history wants: E1/a\.gz\."):
        require_loaded("raw.diagnostics.log_entries", ["E1/a.gz"], skipped)
    with pytest.raises(FilesNotLoadedError, match=r"E1/a\.gz, E1/b\.gz"):
        require_loaded("raw.diagnostics.log_entries", wanted[:2], parse_copy_results(*printed(NO_FILE), STAGE_URL))
    require_loaded("raw.diagnostics.log_entries", ["E1/a.gz", "E1/c.gz", "E1/d.gz"], results)  # a failed file is read


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
