"""Daily loads from the landing zone into raw tables (the template of tasks.extract.base), on the embedded
warehouse, with the sample data generator's files: first load, rerun, late files, rejects, corrupt gzip, S3 over
HTTP, batches of days."""

from __future__ import annotations

import gzip
from datetime import timedelta

import pytest

from devdata.generate import generate
from devdata.model import DirtOptions
from ops import commands
from targets.markers.snapshots import SNAPSHOTS
from targets.markers.stores import WAREHOUSE
from tasks.extract.base import RejectThresholdError
from tasks.extract.sources import LoadLicenses, LoadPushProxyLogs, LoadReleaseLogs, LoadSecurityCheckLogs
from tests.conftest import build
from tests.conftest import wh as query
from tests.tasks.conftest import SETTLED, YESTERDAY, diagnostics, expected_rows, land, ok

pytestmark = pytest.mark.usefixtures("small_days_tolerate_their_dirt")


def test_load_a_day_then_rerun_changes_nothing(env):
    ds = generate(SETTLED, 1, 40, seed=7)
    land(ds.files, env / "landing")
    task = LoadSecurityCheckLogs(date=SETTLED)
    assert ok(build(task, detailed_summary=True))
    rows = query("SELECT count(*) FROM raw.diagnostics.log_entries")[0][0]
    assert rows == expected_rows(ds.files, "diagnostics/", ds.dirt.malformed_lines) > 0
    marker = SNAPSHOTS.of(WAREHOUSE).get(task.update_id())
    assert marker.row_count == rows and marker.target_table == "raw.diagnostics.log_entries"
    files = query("SELECT count(DISTINCT _file) FROM raw.diagnostics.log_entries")[0][0]
    assert files == len(diagnostics(ds))

    result = build(task, detailed_summary=True)
    assert "complete ones were encountered" in result.summary_text and "ran successfully" not in result.summary_text
    assert query("SELECT count(*) FROM raw.diagnostics.log_entries")[0][0] == rows


def test_forced_reload_replaces_exactly_the_days_rows(env):
    ds = generate(SETTLED - timedelta(days=1), 2, 20, seed=3)
    land(ds.files, env / "landing")
    days = [SETTLED - timedelta(days=1), SETTLED]
    assert ok(build(*[LoadSecurityCheckLogs(date=d) for d in days], detailed_summary=True))
    before = query("SELECT logdate, count(*), max(_loaded_at) FROM raw.diagnostics.log_entries GROUP BY 1 ORDER BY 1")

    commands.invalidate([LoadSecurityCheckLogs(date=SETTLED)], confirm=False)
    assert ok(build(LoadSecurityCheckLogs(date=SETTLED), detailed_summary=True))
    after = query("SELECT logdate, count(*), max(_loaded_at) FROM raw.diagnostics.log_entries GROUP BY 1 ORDER BY 1")
    assert [r[:2] for r in after] == [r[:2] for r in before]  # same rows, no duplicates
    reloaded = {r[0]: r[2] for r in after}
    untouched = {r[0]: r[2] for r in before}
    # lines carry their own logdate; only the invalidated day's files were reloaded
    assert reloaded[str(days[0])] == untouched[str(days[0])]
    assert reloaded[str(days[1])] > untouched[str(days[1])]


def test_a_late_file_is_loaded_once_by_the_next_run(env):
    ds = generate(YESTERDAY, 1, 30, seed=11)
    late = [f for f in diagnostics(ds) if f.late]
    assert late, "the generator marks late files"
    land([f for f in ds.files if not f.late], env / "landing")
    task = LoadSecurityCheckLogs(date=YESTERDAY)
    assert ok(build(task, detailed_summary=True))
    first = query("SELECT count(*) FROM raw.diagnostics.log_entries")[0][0]
    assert task.complete(), "nothing new has landed"

    land(late, env / "landing")
    SNAPSHOTS.clear()  # a new process: it looks at the landing zone again
    assert not task.complete(), "the day has not settled: a late file makes it to load again"
    assert ok(build(task, detailed_summary=True))
    second = query("SELECT count(*) FROM raw.diagnostics.log_entries")[0][0]
    assert second == first + expected_rows(late, "diagnostics/", ds.dirt.malformed_lines)
    assert ok(build(task, detailed_summary=True))  # and again: nothing new
    assert query("SELECT count(*) FROM raw.diagnostics.log_entries")[0][0] == second
    assert SNAPSHOTS.of(WAREHOUSE).get(task.update_id()).row_count == second


def test_malformed_lines_are_kept_with_file_line_and_text(env):
    ds = generate(SETTLED, 1, 40, seed=7)
    land(ds.files, env / "landing")
    assert ok(build(LoadSecurityCheckLogs(date=SETTLED), LoadReleaseLogs(date=SETTLED), detailed_summary=True))
    rejects = query("SELECT target_table, file, line, raw_text, error FROM raw.pipeline.rejects ORDER BY file, line")
    found = {(f"{t.split('.')[1]}/{file}", line) for t, file, line, _, _ in rejects}
    wanted = {(p.key, p.line) for p in ds.dirt.malformed_lines if p.key.startswith(("diagnostics/", "releases/"))}
    assert wanted and wanted <= found
    assert all(text and error for *_, text, error in rejects)
    counted = query("SELECT sum(errors_seen) FROM raw.pipeline.load_history")[0][0]
    assert counted == len(rejects)


def test_rejects_over_the_threshold_fail_the_day_and_keep_the_rejects(env, settings):
    ds = generate(SETTLED, 1, 40, seed=7)
    land(ds.files, env / "landing")
    settings.set("loading", "max_reject_share", 0.0)
    task = LoadSecurityCheckLogs(date=SETTLED)
    with pytest.raises(RejectThresholdError, match=r"lines rejected .* first at line \d+"):
        task.run()
    assert not task.complete()
    assert query("SELECT count(*) FROM raw.pipeline.rejects")[0][0] > 0
    settings.set("loading", "max_reject_share", 0.2)  # under the threshold: the rerun completes the day
    assert ok(build(task, detailed_summary=True)) and task.complete()


def test_truncated_gzip_keeps_the_lines_before_the_damage(env):
    ds = generate(SETTLED, 1, 40, seed=7, dirt=DirtOptions.clean())
    files = diagnostics(ds)
    biggest = max(files, key=lambda f: f.lines)
    header, _, body = gzip.decompress(biggest.data).partition(b"\n#Fields")
    fields, _, body = body.partition(b"\n")
    whole = header + b"\n#Fields" + fields + b"\n" + body * 2000  # big enough to span deflate blocks
    compressed = gzip.compress(whole)
    land([f for f in files if f is not biggest], env / "landing")
    (env / "landing" / biggest.key).write_bytes(compressed[: len(compressed) * 2 // 3])
    LoadSecurityCheckLogs(date=SETTLED).run()
    name = biggest.key.removeprefix("diagnostics/")
    loaded = query("SELECT count(*) FROM raw.diagnostics.log_entries WHERE _file = ?", (name,))[0][0]
    damage = query("SELECT line, error FROM raw.pipeline.rejects WHERE file = ?", (name,))
    assert 0 < loaded < biggest.lines * 2000
    assert len(damage) == 1 and "compressed stream ends" in damage[0][1]
    assert damage[0][0] == loaded + 3  # two header lines, then the first line not recovered
    status = query("SELECT status FROM raw.pipeline.load_history WHERE file = ?", (name,))
    assert status == [("PARTIALLY_LOADED",)]


def test_lines_with_the_newer_trailing_fields_load_into_the_26_columns(env):
    ds = generate(SETTLED, 1, 40, seed=7)
    land(ds.files, env / "landing")
    LoadSecurityCheckLogs(date=SETTLED).run()
    wide = [p for p in ds.dirt.wide_lines if p.key.startswith("diagnostics/")]
    assert wide
    for p in wide:
        row = query(
            "SELECT uri, file_encrypted_fields FROM raw.diagnostics.log_entries WHERE _file = ? AND _row = ?",
            (p.key.removeprefix("diagnostics/"), p.line),
        )
        assert row and row[0][0] == "/security" and row[0][1] == "-"


def test_load_from_s3_over_http(env, settings, s3):
    ds = generate(SETTLED, 1, 20, seed=5)
    land(ds.files, s3)
    settings.set("landing", "url", s3)
    tasks = [LoadSecurityCheckLogs(date=SETTLED), LoadLicenses(date=SETTLED),
             *[LoadPushProxyLogs(date=SETTLED, region=r) for r in ("us", "test", "de")]]  # fmt: skip
    assert ok(build(*tasks, detailed_summary=True)) and all(t.complete() for t in tasks)
    assert query("SELECT count(*) FROM raw.diagnostics.log_entries")[0][0] == expected_rows(
        ds.files, "diagnostics/", ds.dirt.malformed_lines
    )
    licenses = [f for f in ds.files if f.key.startswith("licenses/")]
    assert query("SELECT count(*) FROM raw.licenses.licenses")[0][0] == sum(f.lines for f in licenses)


def test_ready_days_run_as_one_batch_and_a_day_over_the_threshold_fails_alone(env, settings, caplog):
    days = [SETTLED - timedelta(days=2) + timedelta(days=i) for i in range(3)]
    ds = generate(days[0], 3, 20, seed=13)
    land(ds.files, env / "landing")
    # The middle day gets a file of lines missing most fields: far over the 20 % threshold of this module.
    location = "ESECCHECKONE01"
    garbage = gzip.compress(b"#Version: 1.0\n#Fields: date time\n" + b"2026-01-01\t00:00:00\n" * 200)
    (env / "landing" / "diagnostics" / location / f"{location}.{days[1]}-23.GARBAGE.gz").write_bytes(garbage)

    caplog.set_level("INFO", logger="luigi-interface")
    result = build(*[LoadSecurityCheckLogs(date=d) for d in days], detailed_summary=True)
    assert f"running   LoadSecurityCheckLogs(date={days[0]},{days[1]},{days[2]})" in caplog.text
    assert not ok(result)
    assert [LoadSecurityCheckLogs(date=d).complete() for d in days] == [True, False, True]
    assert query("SELECT count(*) FROM raw.pipeline.rejects WHERE file LIKE '%GARBAGE%'")[0][0] == 200
    # The good days' rows are there; the bad day's rows, its good files' included, are not: nothing reads them.
    assert rows_by_day() == {str(days[0]): day_rows(ds, days[0]), str(days[2]): day_rows(ds, days[2])}
    with pytest.raises(RejectThresholdError, match=f"{days[1]}: 2"):
        LoadSecurityCheckLogs(date=days[1]).run()  # each run loads its files again, and fails again
    assert set(rows_by_day()) == {str(days[0]), str(days[2])}
    settings.set("loading", "max_reject_share", 0.99)  # the day is accepted as it is
    assert ok(build(LoadSecurityCheckLogs(date=days[1]), detailed_summary=True))
    assert rows_by_day()[str(days[1])] == day_rows(ds, days[1])


def rows_by_day() -> dict[str, int]:
    return dict(query("SELECT logdate, count(*) FROM raw.diagnostics.log_entries GROUP BY logdate"))


def day_rows(ds, day) -> int:
    """The well-formed lines of the day's security-check files (a day's files hold that day's lines)."""
    files = [f for f in diagnostics(ds) if f".{day}-" in f.key]
    return expected_rows(files, "diagnostics/", ds.dirt.malformed_lines)


@pytest.mark.parametrize("threads", [1, 2])
def test_rows_are_numbered_line_by_line_within_each_file(env, settings, threads):
    settings.set("warehouse", "copy_threads", threads)
    ds = generate(SETTLED, 1, 40, seed=7, dirt=DirtOptions.clean())
    land(ds.files, env / "landing")
    LoadReleaseLogs(date=SETTLED).run()
    files = [f for f in ds.files if f.key.startswith("releases/")]
    assert len(files) > 2
    for f in files:
        lines = enumerate(gzip.decompress(f.data).decode().splitlines(), start=1)
        rows = query(
            "SELECT _row, x_edge_request_id FROM raw.releases.log_entries WHERE _file = ? ORDER BY _row",
            (f.key.removeprefix("releases/"),),
        )
        assert rows == [(n, line.split("\t")[14]) for n, line in lines if not line.startswith("#")]


def test_an_empty_day_waits_for_data_instead_of_succeeding(env):
    result = build(LoadSecurityCheckLogs(date=SETTLED), detailed_summary=True)
    assert "missing external dependencies" in result.summary_text or "were missing" in result.summary_text
    assert result.status.name == "MISSING_EXT"
    assert not LoadSecurityCheckLogs(date=SETTLED).complete()


# -- on the Snowflake backend (the recording account of tests/snowflake_account.py) -----------------------------


@pytest.fixture
def snowflake_landing(env, s3, settings):
    """A day of sample files in the S3 landing zone the stages point at (set before the bootstrap)."""
    settings.set("landing", "url", s3)
    ds = generate(SETTLED, 1, 3, seed=5)
    land(ds.files, s3)
    return [f for f in ds.files if f.key.startswith("licenses/")]


def test_files_copy_would_skip_load_when_the_ledger_wants_them(snowflake_landing, snowflake, s3):
    """COPY's load metadata skips, silently, a file an earlier loader loaded into the table (or whose LAST_MODIFIED
    is over 64 days old): the ledger decides, so it is loaded all the same and the day completes."""
    [file] = snowflake_landing
    snowflake.loaded.add(("RAW.LICENSES.LICENSES", f"{s3}/{file.key}"))  # as an earlier loader left it
    task = LoadLicenses(date=SETTLED)
    assert ok(build(task, detailed_summary=True)) and task.complete()
    [(status, rows)] = query("SELECT status, rows_loaded FROM raw.pipeline.load_history")
    assert (status, rows) == ("LOADED", file.lines)


@pytest.mark.parametrize("answer", ["no row for the file", "0 files processed", "skipped"])
def test_a_file_the_ledger_wants_is_never_left_unloaded_without_an_error_naming_it(snowflake_landing, snowflake,
                                                                                  answer):  # fmt: skip
    from targets.warehouse.snowflake_copy_results import FilesNotLoadedError
    from tests.snowflake_account import NOTHING_COPIED

    [file] = snowflake_landing
    rows = {"no row for the file": [("s3://elsewhere/other.csv", "LOADED", 1, 1, 1, 0, *[None] * 4)],
            "0 files processed": NOTHING_COPIED,
            "skipped": [(f"s3://x/{file.key}", "load skipped", 0, 0, 0, 0, *[None] * 4)]}[answer]  # fmt: skip
    snowflake.copy_answer = lambda table, urls, forced: rows
    with pytest.raises(FilesNotLoadedError, match=file.key.removeprefix("licenses/")):
        LoadLicenses(date=SETTLED).run()
    assert query("SELECT count(*) FROM raw.pipeline.load_history") == [(0,)]  # the unit rolled back
    assert not LoadLicenses(date=SETTLED).complete()


def test_the_day_check_binds_its_files_in_lists_snowflake_takes(snowflake):
    """A busy CloudFront day has more files than an IN list may name (16,384)."""
    from targets.formats import FileResult, Reject
    from targets.warehouse import ledger
    from targets.warehouse.connect import connect
    from tests.ops.snowflake.recorded import Statement, problems
    from tests.snowflake_account import Sent

    table = "raw.diagnostics.log_entries"
    paths = [f"ESECCHECKONE01/ESECCHECKONE01.{SETTLED}-{i:05d}.gz" for i in range(20_000)]
    with connect("t") as s, s.transaction():
        results = [FileResult(paths[0], "LOADED", 10, 10), FileResult(paths[-1], "LOAD_FAILED", 10, 0, 10)]
        ledger.record(s, table, results, [Reject(paths[-1], line, "x", "bad") for line in range(3, 13)])
    start = len(snowflake.log)
    with connect("t") as s, pytest.raises(RejectThresholdError, match=rf"{paths[-1]}: 10 rejected, first at line 3"):
        LoadSecurityCheckLogs(date=SETTLED)._check_partition(s, paths)
    sent = [item for item in snowflake.log[start:] if isinstance(item, Sent)]
    assert not [p for q in sent for p in problems(Statement(q.profile, q.role, q.warehouse, q.sql, q.types))]
    assert len(sent) == 4  # two slices, for the totals and for the worst files
