"""Daily loads from the landing zone into raw tables, on the embedded warehouse, with the sample data
generator's files: first load, rerun, late files, rejects, corrupt gzip, secrets, S3 over HTTP, catch-up."""

from __future__ import annotations

import gzip
from datetime import date, timedelta

import luigi
import pytest

from config.secrets import MissingSecretError
from devdata.generate import generate
from devdata.model import DirtOptions
from devdata.writers import write_files
from ops import commands
from targets import markers, warehouse
from tasks.extract.base import RejectThresholdError
from tasks.extract.catchup import CatchUpLoads
from tasks.extract.sources import LoadLicenses, LoadPushProxyLogs, LoadReleaseLogs, LoadSecurityCheckLogs

SETTLED = date.today() - timedelta(days=5)
YESTERDAY = date.today() - timedelta(days=1)


def query(sql: str, params: tuple = ()) -> list[tuple]:
    with warehouse.connect("test") as s:
        return s.execute(sql, params)


@pytest.fixture(autouse=True)
def small_days_tolerate_their_dirt(settings):
    # A sample day of a few dozen lines carries 2 malformed ones on purpose: above the default 1%.
    settings.set("loading", "max_reject_share", 0.2)


def build(*tasks: luigi.Task) -> luigi.execution_summary.LuigiRunResult:
    markers.forget_snapshots()  # as a new cron invocation would start
    return luigi.build(list(tasks), local_scheduler=True, detailed_summary=True)


def ok(result: luigi.execution_summary.LuigiRunResult) -> bool:
    return result.status.name in ("SUCCESS", "SUCCESS_WITH_RETRY")


def land(files, root) -> None:
    write_files(files, str(root))


def expected_rows(files, prefix: str, malformed: list) -> int:
    """Data lines of the source's files, less the malformed ones among them."""
    keys = {f.key for f in files if f.key.startswith(prefix)}
    return sum(f.lines for f in files if f.key in keys) - sum(1 for p in malformed if p.key in keys)


def diagnostics(ds):
    return [f for f in ds.files if f.key.startswith("diagnostics/")]


def test_load_a_day_then_rerun_changes_nothing(env):
    ds = generate(SETTLED, 1, 40, seed=7)
    land(ds.files, env / "landing")
    task = LoadSecurityCheckLogs(date=SETTLED)
    assert ok(build(task))
    rows = query("SELECT count(*) FROM raw.diagnostics.log_entries")[0][0]
    assert rows == expected_rows(ds.files, "diagnostics/", ds.dirt.malformed_lines) > 0
    marker = markers.snapshot().get(task.update_id())
    assert marker.row_count == rows and marker.target_table == "raw.diagnostics.log_entries"
    files = query("SELECT count(DISTINCT _file) FROM raw.diagnostics.log_entries")[0][0]
    assert files == len(diagnostics(ds))

    result = build(task)
    assert "complete ones were encountered" in result.summary_text and "ran successfully" not in result.summary_text
    assert query("SELECT count(*) FROM raw.diagnostics.log_entries")[0][0] == rows


def test_forced_reload_replaces_exactly_the_days_rows(env):
    ds = generate(SETTLED - timedelta(days=1), 2, 20, seed=3)
    land(ds.files, env / "landing")
    days = [SETTLED - timedelta(days=1), SETTLED]
    assert ok(build(*[LoadSecurityCheckLogs(date=d) for d in days]))
    before = query("SELECT logdate, count(*), max(_loaded_at) FROM raw.diagnostics.log_entries GROUP BY 1 ORDER BY 1")

    commands.invalidate([LoadSecurityCheckLogs(date=SETTLED)], confirm=False)
    assert ok(build(LoadSecurityCheckLogs(date=SETTLED)))
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
    assert ok(build(task))
    first = query("SELECT count(*) FROM raw.diagnostics.log_entries")[0][0]
    assert not task.complete(), "the day has not settled: the next run looks for late files"

    land(late, env / "landing")
    assert ok(build(task))
    second = query("SELECT count(*) FROM raw.diagnostics.log_entries")[0][0]
    assert second == first + expected_rows(late, "diagnostics/", ds.dirt.malformed_lines)
    assert ok(build(task))  # and again: nothing new
    assert query("SELECT count(*) FROM raw.diagnostics.log_entries")[0][0] == second
    assert markers.snapshot().get(task.update_id()).row_count == second


def test_malformed_lines_are_kept_with_file_line_and_text(env):
    ds = generate(SETTLED, 1, 40, seed=7)
    land(ds.files, env / "landing")
    assert ok(build(LoadSecurityCheckLogs(date=SETTLED), LoadReleaseLogs(date=SETTLED)))
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
    assert ok(build(task)) and task.complete()


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
            (p.key.removeprefix("diagnostics/"), p.row),
        )
        assert row and row[0][0] == "/security" and row[0][1] == "-"


def test_a_missing_secret_fails_before_any_work_naming_it(env, monkeypatch):
    ds = generate(SETTLED, 1, 10, seed=1)
    land(ds.files, env / "landing")
    monkeypatch.delenv("DIAGNOSTIC_LOCATION_TWO")
    task = LoadSecurityCheckLogs(date=SETTLED)
    with pytest.raises(MissingSecretError, match="DIAGNOSTIC_LOCATION_TWO"):
        task.run()
    assert query("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'log_entries'") == [(0,)]
    assert not ok(build(task)) or not task.complete()


def test_snowflake_credentials_are_required_by_name_on_that_backend(env, settings):
    settings.set("warehouse", "backend", "snowflake")
    with pytest.raises(MissingSecretError, match="SNOWFLAKE_ACCOUNT, SNOWFLAKE_LOAD_USER, SNOWFLAKE_LOAD_PASSWORD"):
        LoadLicenses(date=SETTLED).run()


def test_load_from_s3_over_http(env, settings, s3):
    ds = generate(SETTLED, 1, 20, seed=5)
    land(ds.files, s3)
    settings.set("landing", "url", s3)
    tasks = [LoadSecurityCheckLogs(date=SETTLED), LoadLicenses(date=SETTLED),
             *[LoadPushProxyLogs(date=SETTLED, region=r) for r in ("us", "test", "de")]]  # fmt: skip
    assert ok(build(*tasks)) and all(t.complete() for t in tasks)
    assert query("SELECT count(*) FROM raw.diagnostics.log_entries")[0][0] == expected_rows(
        ds.files, "diagnostics/", ds.dirt.malformed_lines
    )
    licenses = [f for f in ds.files if f.key.startswith("licenses/")]
    assert query("SELECT count(*) FROM raw.licenses.licenses")[0][0] == sum(f.lines for f in licenses)


def test_catch_up_fills_two_missing_days_in_one_run(env):
    first = SETTLED - timedelta(days=3)
    ds = generate(first, 4, 20, seed=9)
    land(ds.files, env / "landing")
    days = [first + timedelta(days=i) for i in range(4)]
    assert ok(build(LoadSecurityCheckLogs(date=days[0]), LoadSecurityCheckLogs(date=days[3])))
    before = {d: markers.snapshot().get(LoadSecurityCheckLogs(date=d).update_id()) for d in days}
    assert before[days[1]] is None and before[days[2]] is None
    result = build(CatchUpLoads(end=days[3], days=4, sources=["LoadSecurityCheckLogs"]))
    assert ok(result) and f"2 LoadSecurityCheckLogs(date={days[1]},{days[2]})" in result.summary_text
    after = {d: markers.snapshot().get(LoadSecurityCheckLogs(date=d).update_id()) for d in days}
    assert all(after.values())
    assert after[days[0]] == before[days[0]] and after[days[3]] == before[days[3]]


def test_ready_days_run_as_one_batch_and_a_day_over_the_threshold_fails_alone(env, caplog):
    days = [SETTLED - timedelta(days=2) + timedelta(days=i) for i in range(3)]
    ds = generate(days[0], 3, 20, seed=13)
    land(ds.files, env / "landing")
    # The middle day gets a file of lines missing most fields: far over the 20 % threshold of this module.
    location = "ESECCHECKONE01"
    garbage = gzip.compress(b"#Version: 1.0\n#Fields: date time\n" + b"2026-01-01\t00:00:00\n" * 200)
    (env / "landing" / "diagnostics" / location / f"{location}.{days[1]}-23.GARBAGE.gz").write_bytes(garbage)

    caplog.set_level("INFO", logger="luigi-interface")
    result = build(*[LoadSecurityCheckLogs(date=d) for d in days])
    assert f"running   LoadSecurityCheckLogs(date={days[0]},{days[1]},{days[2]})" in caplog.text
    assert not ok(result)
    assert [LoadSecurityCheckLogs(date=d).complete() for d in days] == [True, False, True]
    assert query("SELECT count(*) FROM raw.pipeline.rejects WHERE file LIKE '%GARBAGE%'")[0][0] == 200
    # Every file was loaded once, the bad day's good files included; its rerun loads nothing again and fails.
    loaded = query("SELECT count(DISTINCT _file) FROM raw.diagnostics.log_entries")[0][0]
    assert loaded == len(diagnostics(ds))
    with pytest.raises(RejectThresholdError, match=f"{days[1]}: 2"):
        LoadSecurityCheckLogs(date=days[1]).run()
    assert query("SELECT count(DISTINCT _file) FROM raw.diagnostics.log_entries")[0][0] == loaded


def test_a_batch_of_days_is_one_task_id_and_round_trips():
    days = (SETTLED - timedelta(days=1), SETTLED)
    batch = LoadReleaseLogs(date=tuple(reversed(days)))
    assert batch.date == days and batch.days() == days
    assert batch.task_id not in {LoadReleaseLogs(date=d).task_id for d in days}
    assert LoadReleaseLogs.from_str_params(batch.to_str_params()) == batch
    assert [t.update_id() for t in batch.day_tasks()] == [LoadReleaseLogs(date=d).update_id() for d in days]
    assert LoadReleaseLogs(date=(SETTLED,)) == LoadReleaseLogs(date=SETTLED)


@pytest.mark.parametrize("threads", [1, 2])
def test_rows_are_numbered_line_by_line_within_each_file(env, settings, threads):
    settings.set("warehouse", "copy_threads", threads)
    ds = generate(SETTLED, 1, 40, seed=7, dirt=DirtOptions.clean())
    land(ds.files, env / "landing")
    LoadReleaseLogs(date=SETTLED).run()
    files = [f for f in ds.files if f.key.startswith("releases/")]
    assert len(files) > 2
    for f in files:
        lines = [line.split("\t") for line in gzip.decompress(f.data).decode().splitlines() if not line.startswith("#")]
        rows = query(
            "SELECT _row, x_edge_request_id FROM raw.releases.log_entries WHERE _file = ? ORDER BY _row",
            (f.key.removeprefix("releases/"),),
        )
        assert rows == [(i + 1, line[14]) for i, line in enumerate(lines)]


def test_an_empty_day_waits_for_data_instead_of_succeeding(env):
    result = build(LoadSecurityCheckLogs(date=SETTLED))
    assert "missing external dependencies" in result.summary_text or "were missing" in result.summary_text
    assert result.status.name == "MISSING_EXT"
    assert not LoadSecurityCheckLogs(date=SETTLED).complete()


def test_push_proxy_regions_are_independent(env):
    ds = generate(SETTLED, 1, 20, seed=5)
    land([f for f in ds.files if not f.key.startswith("push_proxy/de/")], env / "landing")
    us, de = LoadPushProxyLogs(date=SETTLED, region="us"), LoadPushProxyLogs(date=SETTLED, region="de")
    build(us, de)
    assert us.complete() and not de.complete()
    assert query("SELECT count(*) FROM raw.push_proxy.logs")[0][0] > 0
