"""Incremental models rebuild late days: a security check that arrives after its day was built (beyond the
lookback window) is picked up, and days that are neither late nor in the window are left alone. A day a failed load
withdrew from its raw table leaves every model built on it."""

from __future__ import annotations

import datetime as dt

import pytest

from tasks.extract.sources import LoadPushProxyLogs, LoadSecurityCheckLogs
from tests.dbt import raw_data as raw
from tests.dbt.conftest import DbtProject, make_project
from tests.dbt.raw_data import PROD, cloudfront, security_query

SELECTED = ["--select", "+server_daily_details", "+account_health_score", "--indirect-selection", "cautious"]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    project = make_project(tmp_path_factory.mktemp("incremental"))
    project.run("build", *SELECTED)
    return project


def server_days(project: DbtProject) -> dict[tuple, int]:
    with project.analytics() as con:
        got = con.execute("select server_id, date, active_user_count from mattermost.server_security_details")
        days = [((server, day), active) for server, day, active in got.fetchall()]
    assert len(days) == len(dict(days)), "a rebuilt day left duplicates"
    return dict(days)


def test_late_rows_rebuild_their_day(project: DbtProject) -> None:
    before = server_days(project)
    late_loaded = dt.datetime(2020, 2, 7, 10)
    with project.raw() as con:
        # A check for 2020-02-01, four days before the newest built day: outside a 0-day lookback window.
        raw.insert_load(con, "diagnostics.log_entries", [(raw.LATE_SECURITY_ROW, late_loaded)], "late-file")
        # A later check on an already built day raises that day's maximum.
        late_check = cloudfront(
            "2020-02-03", "20:00:00", "/security", security_query(**PROD, id=raw.S1, auc="60", uc="90")
        )
        raw.insert_load(con, "diagnostics.log_entries", [(late_check, late_loaded)], "late-file-2")
        # A day that is neither late nor in the window must not be rebuilt: drop its source row to prove it.
        con.execute("delete from diagnostics.log_entries where cs_uri_query like ?", [f"%id={raw.S3}%"])

    project.run("run", "--select", "security", "server_security_details", vars={"lookback_days": 0})
    after = server_days(project)

    assert after[(raw.S2, dt.date(2020, 2, 1))] == 12
    assert after[(raw.S1, dt.date(2020, 2, 3))] == 60
    assert after[(raw.S3, dt.date(2020, 2, 4))] == before[(raw.S3, dt.date(2020, 2, 4))]
    changed = {key for key in after if after[key] != before.get(key)}
    assert changed == {(raw.S2, dt.date(2020, 2, 1)), (raw.S1, dt.date(2020, 2, 3))}


def test_write_back_queue_keeps_one_pending_row(project: DbtProject) -> None:
    project.run("run", "--select", "account_health_score")
    with project.analytics() as con:
        assert con.execute("select count(*) from util.pg_imports where processed_at is null").fetchone() == (1,)
    with project.analytics_writer() as con:  # what the pg-import task does once it has copied the table
        con.execute("update util.pg_imports set processed_at = current_timestamp, rows_affected = 3")
    project.run("run", "--select", "account_health_score", "pg_imports", "--full-refresh")
    with project.analytics() as con:
        assert con.execute("select count(*), count(processed_at) from util.pg_imports").fetchone() == (2, 1)


# The models that rebuild whole days (macro rebuild_days_filter), with their day column.
BY_DAY = {"events.security": "logdate", "mattermost.server_security_details": "date",
          "mattermost.server_daily_details": "date", "push_proxy.notifications_hourly": "date"}  # fmt: skip


def by_day(project: DbtProject) -> dict[str, list[tuple]]:
    with project.analytics() as con:
        return {model: sorted(con.execute(f"select * from {model}").fetchall(), key=repr) for model in BY_DAY}


def test_a_withdrawn_day_leaves_every_model_built_on_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    """What a failed load does (LoadDailyFiles._withdraw): the day's rows leave the raw table and its failure marker
    is written. The next incremental run, whatever its lookback, leaves the marts as a full build would: the day is
    gone, its neighbours (which rows of its files can fall on) rebuilt, the rest of that day's data (another region's
    push requests, Segment's telemetry) kept."""
    project = make_project(tmp_path_factory.mktemp("withdrawn"))
    models = [name.split(".")[1] for name in BY_DAY]
    project.run("build", "--select", *(f"+{m}" for m in models), "--indirect-selection", "cautious")
    security_day, de_day = dt.date(2020, 2, 3), dt.date(2020, 2, 4)
    with project.raw() as con:
        con.execute("delete from diagnostics.log_entries where logdate = ?", [security_day.isoformat()])
        con.execute("delete from push_proxy.de_logs where requesttime like ?", [f"{de_day}%"])
    project.fail_loads([LoadSecurityCheckLogs(date=security_day), LoadPushProxyLogs(date=de_day, region="de")])
    project.run("run", "--select", *models, vars={"lookback_days": 0})
    incremental = by_day(project)
    with project.analytics() as con:
        left = con.execute(
            "select 'security', count(*) from events.security where logdate = $1 union all "
            "select 'server_security_details', count(*) from mattermost.server_security_details where date = $1 "
            "union all select 'server_daily_details', count(*) from mattermost.server_daily_details "
            "where date = $1 and in_security union all "
            "select 'notifications_hourly de', count(*) from push_proxy.notifications_hourly "
            "where region = 'de' and date = $2 union all "
            "select 'notifications_hourly us', count(*) from push_proxy.notifications_hourly "
            "where region = 'us' and date = $1",
            [security_day, de_day],
        ).fetchall()
    assert dict(left) == {"security": 0, "server_security_details": 0, "server_daily_details": 0,
                          "notifications_hourly de": 0, "notifications_hourly us": 2}  # fmt: skip
    project.run("run", "--select", *models, "--full-refresh")
    assert incremental == by_day(project)
