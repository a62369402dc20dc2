"""bench/workers.py's check that runs with one and two workers built the same warehouse: its digest tells equal
tables from a lost, doubled or changed row, and ignores when rows were loaded and the pipeline's bookkeeping; and its
breakdown of a run's task seconds by stage."""

from __future__ import annotations

from pathlib import Path

import duckdb

from bench.workers import digest, stages


def warehouse(dbdir: Path, rows: list[tuple[int, str, str]], markers: list[str]) -> Path:
    dbdir.mkdir()
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{dbdir / 'raw.duckdb'}' AS raw")
        con.execute(f"ATTACH '{dbdir / 'analytics.duckdb'}' AS analytics")
        con.execute("CREATE SCHEMA raw.pipeline")
        con.execute("CREATE TABLE raw.pipeline.markers (update_id VARCHAR)")
        for marker in markers:
            con.execute("INSERT INTO raw.pipeline.markers VALUES (?)", [marker])
        con.execute("CREATE SCHEMA analytics.finance")
        con.execute("CREATE TABLE analytics.finance.arr (id BIGINT, account VARCHAR, loaded_at VARCHAR)")
        con.executemany("INSERT INTO analytics.finance.arr VALUES (?, ?, ?)", rows)
    return dbdir


def test_equal_rows_in_any_order_and_load_times_give_equal_digests(tmp_path):
    one = warehouse(tmp_path / "one", [(1, "a", "10:00"), (2, "b", "10:00")], ["x"])
    two = warehouse(tmp_path / "two", [(2, "b", "11:30"), (1, "a", "11:31")], ["x", "y"])
    assert digest(one) == digest(two)
    assert set(digest(one)) == {"analytics.finance.arr"}


def test_a_doubled_lost_or_changed_row_changes_the_digest(tmp_path):
    base = digest(warehouse(tmp_path / "base", [(1, "a", ""), (2, "b", "")], []))
    doubled = digest(warehouse(tmp_path / "doubled", [(1, "a", ""), (2, "b", ""), (2, "b", "")], []))
    lost = digest(warehouse(tmp_path / "lost", [(1, "a", "")], []))
    changed = digest(warehouse(tmp_path / "changed", [(1, "a", ""), (2, "c", "")], []))
    assert len({*map(str, (base, doubled, lost, changed))}) == 4


def test_task_seconds_add_up_by_the_stage_of_their_class():
    console = (
        "16:51:23 done    LoadPushProxyLogs(date=2026-11-28 +6 more, region=test) in 2.7 s: raw.push_proxy.test_logs\n"
        "16:51:29 done    ReplicateOrgmTable(table=user) in 0.1 s: raw.orgm.user: full load, 6 rows read\n"
        "16:51:50 running DbtNode(node=model.bizops.stg_orgm__account +35 more)\n"
        "16:52:01 done    DbtNode(node=model.bizops.stg_orgm__account +35 more) in 21.5 s: dbt built 36 node(s)\n"
        "16:52:01 FAILED  PostMetricsDigest(date=2026-12-04) in 0.3 s: DigestError: not posted\n"
        "16:52:02 done    RunPostgresScript(script=account_arr) in 0.1 s: account_arr.sql: 3 statements in 1 s\n"
    )
    assert stages(console) == {"extract": 2.8, "transform": 21.5, "publish": 0.1}
