"""The task templates (tasks.base): explicit, versioned update ids, complete() and bulk_complete() from one marker
snapshot, and the backend and secrets checked before any work."""

from __future__ import annotations

from datetime import date

import pytest

from config.secrets import MissingSecretError
from devdata.generate import generate
from targets.warehouse.session import STATS
from tasks.extract.sources import LoadLicenses, LoadPushProxyLogs, LoadSecurityCheckLogs
from tests.conftest import THOUSAND_DAYS as DAYS
from tests.conftest import build, write_markers
from tests.conftest import wh as query
from tests.tasks.conftest import SETTLED, land, ok


def test_update_ids_are_explicit_and_versioned(env):
    assert LoadLicenses(date=date(2026, 11, 25)).update_id() == "raw.licenses.licenses/2026-11-25/v1"
    assert LoadPushProxyLogs(date=date(2026, 11, 25), region="de").update_id() == "raw.push_proxy.de_logs/2026-11-25/v1"


def test_bulk_complete_for_range_tools_uses_the_same_snapshot(env):
    write_markers([LoadLicenses(date=d) for d in DAYS[:10]])
    complete = LoadLicenses.bulk_complete([{"date": d} for d in DAYS[:20]])
    assert [p["date"] for p in complete] == DAYS[:10]
    assert STATS["SELECT"] == 1


@pytest.mark.usefixtures("small_days_tolerate_their_dirt")
def test_a_missing_secret_fails_before_any_work_naming_it(env, monkeypatch):
    ds = generate(SETTLED, 1, 10, seed=1)
    land(ds.files, env / "landing")
    monkeypatch.delenv("DIAGNOSTIC_LOCATION_TWO")
    task = LoadSecurityCheckLogs(date=SETTLED)
    with pytest.raises(MissingSecretError, match="DIAGNOSTIC_LOCATION_TWO"):
        task.run()
    assert query("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'log_entries'") == [(0,)]
    result = build(task, detailed_summary=True)  # under Luigi: the landing check needs the location too
    assert not ok(result), result.summary_text
    assert not task.complete()


@pytest.mark.usefixtures("small_days_tolerate_their_dirt")
def test_snowflake_credentials_are_required_by_name_on_that_backend(env, settings):
    settings.set("warehouse", "backend", "snowflake")
    login = "SNOWFLAKE_LOAD_PRIVATE_KEY or SNOWFLAKE_LOAD_PRIVATE_KEY_PATH or SNOWFLAKE_LOAD_PASSWORD"
    with pytest.raises(MissingSecretError, match=f"SNOWFLAKE_ACCOUNT, SNOWFLAKE_LOAD_USER, {login},"):
        LoadLicenses(date=SETTLED).run()
