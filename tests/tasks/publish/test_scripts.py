"""The SQL job runner on a real PostgreSQL: one transaction per script with its marker, stop at the first error
(named by script, statement and line, everything rolled back), names derived from the file, the original order,
and every shipped script idempotent (a second run changes nothing)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from targets.markers.snapshots import SNAPSHOTS
from targets.postgres.statements import ScriptError
from tasks.params import utcnow
from tasks.publish.scripts import RunPostgresScript, RunPostgresScripts, ScriptNameError, discover, job_name, stem_of
from tests.conftest import LOCKED, SLOT, build, contents, insert
from tests.conftest import pg_query as query

ORDER = ["tasks_filtered", "account_arr", "account_type", "opportunity_snapshot", "opportunitylineitem_snapshot",
         "connect_retry"]  # fmt: skip


def marker_rows(dsn: str) -> list[tuple]:
    return query(dsn, "SELECT update_id, row_count FROM staging.table_updates ORDER BY inserted, update_id")


# -- names and order ---------------------------------------------------------------------------------


def test_job_names_are_derived_from_the_file_stem_and_valid_dns1123():
    assert job_name("account_arr") == "pg-account-arr"
    assert job_name("opportunitylineitem_snapshot") == "pg-opportunitylineitem-snapshot"
    assert stem_of("pg-account-arr") == "account_arr"
    for bad in ["Account_ARR", "account-arr", "account__arr", "_arr", "arr_", "ärr", "a" * 50]:
        with pytest.raises(ScriptNameError, match="script name"):
            job_name(bad)
    assert {s.job_name for s in discover().values()} == {job_name(stem) for stem in ORDER}


def test_scripts_are_discovered_from_the_folder_in_the_declared_order():
    scripts = discover()
    assert list(scripts) == ORDER
    assert scripts["account_type"].requires == ("account_arr",)
    assert [t.script for t in RunPostgresScripts(slot=SLOT).requires()] == ORDER


def test_a_bad_file_name_an_unknown_requirement_or_a_cycle_is_a_clear_error(tmp_path: Path):
    (tmp_path / "Account-ARR.sql").write_text("SELECT 1;")
    with pytest.raises(ScriptNameError, match=r"Account-ARR\.sql: script name 'Account-ARR'"):
        discover(tmp_path)
    (tmp_path / "Account-ARR.sql").unlink()
    (tmp_path / "a.sql").write_text("-- requires: b\nSELECT 1;")
    with pytest.raises(ScriptError, match=r"a\.sql: requires unknown script\(s\) b"):
        discover(tmp_path)
    (tmp_path / "b.sql").write_text("-- requires: a\nSELECT 1;")
    with pytest.raises(ScriptError, match="cycle: a -> b -> a"):
        discover(tmp_path)


# -- failures ----------------------------------------------------------------------------------------


def test_a_failing_statement_fails_the_task_names_it_and_rolls_back_everything(orgm, settings, tmp_path):
    (tmp_path / "broken_job.sql").write_text(
        "-- changes two things, then fails\n"
        "CREATE TABLE orgm.made_by_broken (a int);\n"
        "UPDATE orgm.account SET name = 'changed';\n"
        "\n"
        "UPDATE orgm.account\n"
        "SET name = 'x'\n"
        "WHERE no_such_column = 1;\n"
        "UPDATE orgm.account SET name = 'never';\n"
    )
    settings.set("postgres", "scripts_dir", tmp_path)
    before = contents(orgm["dsn"])
    task = RunPostgresScript(script="broken_job", slot=SLOT)
    assert not build(task)
    with pytest.raises(ScriptError) as failure:
        task.run()
    assert str(failure.value).startswith(
        'broken_job.sql: statement 3 (line 7) failed [42703]: column "no_such_column" does not exist'
    )
    assert "rolled back" in str(failure.value)
    assert contents(orgm["dsn"]) == before
    assert query(orgm["dsn"], "SELECT to_regclass('orgm.made_by_broken')") == [(None,)]
    assert marker_rows(orgm["dsn"]) == []
    SNAPSHOTS.clear()
    assert not task.complete()


def test_a_runtime_error_is_reported_at_the_statement_line(orgm, settings, tmp_path):
    (tmp_path / "divide.sql").write_text("SELECT 1;\n\nSELECT\n  1 / 0;\n")
    settings.set("postgres", "scripts_dir", tmp_path)
    with pytest.raises(ScriptError, match=r"divide\.sql: statement 2 \(line 3\) failed \[22012\]: division by zero"):
        RunPostgresScript(script="divide", slot=SLOT).run()


def test_a_failed_script_stops_the_scripts_after_it(orgm, settings, tmp_path):
    (tmp_path / "first.sql").write_text("SELECT 1 / 0;")
    (tmp_path / "second.sql").write_text("-- requires: first\nUPDATE orgm.account SET name = 'second ran';")
    settings.set("postgres", "scripts_dir", tmp_path)
    assert not build(RunPostgresScripts(slot=SLOT))
    assert query(orgm["dsn"], "SELECT count(*) FROM orgm.account WHERE name = 'second ran'") == [(0,)]
    assert marker_rows(orgm["dsn"]) == []


# -- the shipped scripts -----------------------------------------------------------------------------


def test_the_scripts_run_in_order_each_in_one_transaction_with_its_marker(orgm):
    assert build(RunPostgresScripts(slot=SLOT))
    rows = marker_rows(orgm["dsn"])
    assert [uid for uid, _ in rows] == [f"{job_name(s)}/2026-11-25T13/v1" for s in ORDER]
    SNAPSHOTS.clear()
    assert all(RunPostgresScript(script=s, slot=SLOT).complete() for s in ORDER)
    before = contents(orgm["dsn"])
    assert build(RunPostgresScripts(slot=SLOT))  # the slot is done: nothing runs
    assert marker_rows(orgm["dsn"]) == rows
    assert contents(orgm["dsn"]) == before


def test_every_script_does_its_job(orgm):
    dsn = orgm["dsn"]
    assert build(RunPostgresScripts(slot=SLOT))
    accounts = dict(query(dsn, "SELECT sfid, (arr_current__c, type)::text FROM orgm.account"))
    assert accounts[orgm["customer"]] == "(12000.00,Customer)"  # leap-day rule; services and deleted items ignored
    assert accounts[orgm["attrited"]] == '(0.00,"Customer (Attrited)")'
    for untouched in ("prospect", "services", "lost"):  # never had a won recurring line item
        assert accounts[orgm[untouched]] == "(,Prospect)"
    assert query(dsn, "SELECT subject FROM staging.tasks_filtered") == [("Call: follow-up",)]
    snapshot = query(dsn, "SELECT snapshot_date, totalprice, end_date__c, arr_contributed__c "
                          "FROM staging.opportunitylineitem_snapshot ORDER BY totalprice")  # fmt: skip
    assert len(snapshot) == 5 and {r[0] for r in snapshot} == {utcnow().date()}
    assert all(r[3] is None for r in snapshot)  # a real column, no longer end_date__c under another name
    assert query(dsn, "SELECT count(*) FROM staging.opportunity_snapshot") == [(4,)]
    assert query(dsn, "SELECT state, left(sf_message, 20) FROM orgm._trigger_log ORDER BY id") == [
        ("NEW", LOCKED[:20]), ("FAILED", "CANNOT_INSERT_UPDATE"), ("NEW", None), ("SUCCESS", None)]  # fmt: skip


def test_a_second_run_of_every_script_changes_nothing(orgm):
    dsn = orgm["dsn"]
    assert build(RunPostgresScripts(slot=SLOT))
    first = contents(dsn)
    assert build(RunPostgresScripts(slot=SLOT + timedelta(hours=1)))
    assert contents(dsn) == first
    second = dict(query(dsn, "SELECT update_id, row_count FROM staging.table_updates WHERE update_id LIKE %s",
                        ("%/2026-11-25T14/v1",)))  # fmt: skip
    assert second == {
        "pg-tasks-filtered/2026-11-25T14/v1": 0,
        "pg-account-arr/2026-11-25T14/v1": 0,
        "pg-account-type/2026-11-25T14/v1": 0,
        "pg-opportunity-snapshot/2026-11-25T14/v1": 8,  # today's snapshot replaced by an identical one
        "pg-opportunitylineitem-snapshot/2026-11-25T14/v1": 10,
        "pg-connect-retry/2026-11-25T14/v1": 0,
    }


def test_tasks_filtered_follows_changes_and_deletes(orgm):
    dsn = orgm["dsn"]
    assert build(RunPostgresScript(script="tasks_filtered", slot=SLOT))
    query(dsn, "UPDATE orgm.task SET subject = 'stamp unchanged' WHERE subject = 'Call: follow-up'")
    assert build(RunPostgresScript(script="tasks_filtered", slot=SLOT + timedelta(minutes=60)))
    assert query(dsn, "SELECT subject FROM staging.tasks_filtered") == [("Call: follow-up",)]
    query(dsn, "UPDATE orgm.task SET subject = 'Call: follow-up' WHERE subject = 'stamp unchanged'")
    # Upsert by systemmodstamp: a change without a new stamp is not picked up, one with a new stamp is.
    query(dsn, "UPDATE orgm.task SET subject = 'Call: renewal', systemmodstamp = %s WHERE subject = 'Call: follow-up'",
          (utcnow(),))  # fmt: skip
    with_new = insert_task(dsn, orgm["rep"], "Meeting: kickoff")
    assert build(RunPostgresScript(script="tasks_filtered", slot=SLOT + timedelta(hours=2)))
    assert sorted(query(dsn, "SELECT sfid, subject FROM staging.tasks_filtered")) == sorted(
        [(query(dsn, "SELECT sfid FROM orgm.task WHERE subject = 'Call: renewal'")[0][0], "Call: renewal"),
         (with_new, "Meeting: kickoff")])  # fmt: skip
    query(dsn, "DELETE FROM orgm.task WHERE sfid = %s", (with_new,))
    assert build(RunPostgresScript(script="tasks_filtered", slot=SLOT + timedelta(hours=3)))
    assert query(dsn, "SELECT subject FROM staging.tasks_filtered") == [("Call: renewal",)]


def insert_task(dsn: str, creator: str, subject: str) -> str:
    import psycopg2

    con = psycopg2.connect(dsn)
    con.autocommit = True
    with con.cursor() as cur:
        row = insert(cur, "task", createdbyid=creator, subject=subject, type="Meeting")
    con.close()
    return row["sfid"]


def test_account_type_follows_the_arr(orgm):
    dsn = orgm["dsn"]
    assert build(RunPostgresScripts(slot=SLOT))
    query(dsn, "UPDATE orgm.opportunitylineitem SET end_date__c = current_date - 1 WHERE totalprice = 48000")
    assert build(RunPostgresScripts(slot=SLOT + timedelta(hours=1)))
    assert query(dsn, "SELECT arr_current__c, type FROM orgm.account WHERE sfid = %s", (orgm["customer"],)) == [
        (Decimal("0.00"), "Customer (Attrited)")
    ]
