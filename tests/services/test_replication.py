"""Replication of orgm into the warehouse (services.replication): on DuckDB for real (incremental runs, the lookback,
compaction, hard deletes, a new column, clear errors), and through the Snowflake backend on fakesnow."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from decimal import Decimal

import psycopg2
import pytest

from services import replication
from services.replication import Outcome, ReplicationError, replicate_table
from targets.postgres.session import PgSession
from targets.warehouse.connect import connect
from targets.warehouse.duckdb_session import DuckDBSession
from tasks.extract.replication import ReplicateOrgm, ReplicateOrgmTable
from tests.conftest import SLOT, bookmark, build, insert, live_rows, pg, replicated, utcnow, wh
from tests.conftest import pg_query as query


def test_empty_strings_and_nulls_survive_the_trip(db):
    dsn = db["dsn"]
    pg(dsn, "UPDATE orgm.account SET company_type__c = '' WHERE name = 'Account customer'")
    assert build(ReplicateOrgmTable(table="account", slot=SLOT))
    names = wh("SELECT name, company_type__c FROM raw.orgm.account WHERE name IN ('Account customer', 'Account lost')")
    assert sorted(names) == [("Account customer", ""), ("Account lost", None)]


def test_an_incremental_run_touches_only_changed_rows_and_advances_the_bookmark(db, monkeypatch):
    dsn = db["dsn"]
    assert build(ReplicateOrgm(slot=SLOT))
    before = wh("SELECT * FROM raw.orgm.account ORDER BY sfid")
    first_bookmark = bookmark("account")
    stamp = utcnow() + timedelta(seconds=1)
    pg(dsn, "UPDATE orgm.account SET name = 'Renamed', systemmodstamp = %s WHERE sfid = %s", (stamp, db["customer"]))
    # Re-read by the lookback but unchanged stamp: not a change (Salesforce bumps the stamp on every change).
    pg(dsn, "UPDATE orgm.account SET name = 'Not picked up' WHERE sfid = %s", (db["prospect"],))
    con = psycopg2.connect(dsn)
    con.autocommit = True
    with con.cursor() as cur:
        new = insert(cur, "account", name="Brand new", type="Prospect", systemmodstamp=stamp)["sfid"]
    con.close()
    written: list[tuple[str, int]] = []  # what the merge's statements did to the warehouse table
    execute = DuckDBSession.execute

    def spy(self, sql, params=()):
        result = execute(self, sql, params)
        if sql.startswith(("DELETE FROM raw.orgm.account ", "INSERT INTO raw.orgm.account ")):
            written.append((sql.split()[0], result[0][0]))
        return result

    with monkeypatch.context() as patched, connect("t") as session, PgSession("t") as pgs:
        patched.setattr(DuckDBSession, "execute", spy)
        outcome = replicate_table(session, pgs, "account")
    assert (outcome.mode, outcome.extracted, outcome.upserted, outcome.deleted) == ("incremental", 6, 2, 0)
    # 6 rows re-read; the 4 unchanged ones are not rewritten: 1 old version removed, 2 rows written.
    assert written == [("DELETE", 1), ("INSERT", 2), ("DELETE", 0)]  # the last: sfids in delete_history__c
    after = wh("SELECT * FROM raw.orgm.account ORDER BY sfid")
    assert {r[1] for r in set(after) - set(before)} == {db["customer"], new}
    assert wh("SELECT name FROM raw.orgm.account WHERE sfid = ?", (db["prospect"],)) == [("Account prospect",)]
    assert wh("SELECT name FROM raw.orgm.account WHERE sfid = ?", (db["customer"],)) == [("Renamed",)]
    assert bookmark("account") == stamp > first_bookmark


def test_the_lookback_picks_up_rows_that_landed_behind_the_bookmark(db, settings):
    dsn = db["dsn"]
    assert build(ReplicateOrgmTable(table="contact", slot=SLOT))
    late = bookmark("contact") - timedelta(minutes=10)  # written by Heroku Connect after the last run read
    con = psycopg2.connect(dsn)
    con.autocommit = True
    with con.cursor() as cur:
        sfid = insert(cur, "contact", email="late@example.com", systemmodstamp=late)["sfid"]
    con.close()
    settings.set("replication", "lookback_minutes", 5)
    with connect("t") as session, PgSession("t") as pgs:
        assert replicate_table(session, pgs, "contact").upserted == 0
    settings.set("replication", "lookback_minutes", 60)
    with connect("t") as session, PgSession("t") as pgs:
        assert replicate_table(session, pgs, "contact").upserted == 1
    assert wh("SELECT email FROM raw.orgm.contact WHERE sfid = ?", (sfid,)) == [("late@example.com",)]


def test_a_change_that_landed_behind_the_bookmark_replaces_the_old_row(db):
    dsn = db["dsn"]
    assert build(ReplicateOrgmTable(table="account", slot=SLOT))
    late = bookmark("account") - timedelta(minutes=10)  # written late: behind the bookmark, among the re-reads
    pg(dsn, "UPDATE orgm.account SET name = 'Renamed late', systemmodstamp = %s WHERE sfid = %s", (late, db["lost"]))
    with connect("t") as session, PgSession("t") as pgs:
        assert replicate_table(session, pgs, "account").upserted == 1
    assert wh("SELECT name, systemmodstamp FROM raw.orgm.account WHERE sfid = ?", (db["lost"],)) == [
        ("Renamed late", late)
    ]


def test_a_full_load_copies_range_after_range_of_pages_on_one_snapshot(db, monkeypatch):
    dsn = db["dsn"]
    stamp = utcnow() - timedelta(days=2)
    pg(dsn, "INSERT INTO orgm.account (sfid, name, systemmodstamp, createddate, isdeleted, _hc_lastop) SELECT "
            "'001' || lpad(g::text, 15, 'x'), repeat('n', 500), %s, %s, false, 'SYNCED' "
            "FROM generate_series(1, 100) AS g", (stamp, stamp))  # fmt: skip
    pages = query(dsn, "SELECT pg_relation_size('orgm.account') / current_setting('block_size')::int")[0][0]
    assert pages >= 4
    # A long row of the full page 0: its new version cannot stay there.
    moved = query(dsn, "SELECT sfid FROM orgm.account WHERE ctid < '(1,0)' AND length(name) = 500 LIMIT 1")[0][0]
    before = live_rows(dsn, "account")
    loads: list[int] = []
    load_csv = DuckDBSession.load_csv

    def load_then_update(self, table, columns, path):
        loads.append(load_csv(self, table, columns, path))
        if len(loads) == 1:  # page 0 is loaded: the row's new version goes to the last page, copied later
            update = "UPDATE orgm.account SET name = upper(name), systemmodstamp = %s WHERE sfid = %s"
            pg(dsn, update, (utcnow(), moved))
        return loads[-1]

    monkeypatch.setattr(replication, "RANGE_PAGES", 1)
    with monkeypatch.context() as patched, connect("t") as session, PgSession("t") as pgs:
        patched.setattr(DuckDBSession, "load_csv", load_then_update)
        outcome = replicate_table(session, pgs, "account")
    # One load per page; the table as it was when the extract began: the moved row once, as it was.
    assert (outcome.mode, len(loads), sum(loads), outcome.upserted) == ("full", pages, len(before), len(before))
    assert replicated("account") == before
    assert wh("SELECT name FROM raw.orgm.account WHERE sfid = ?", (moved,)) == [("n" * 500,)]
    with connect("t") as session, PgSession("t") as pgs:
        assert replicate_table(session, pgs, "account").upserted == 1  # the update, at the next run
    assert replicated("account") == live_rows(dsn, "account")


def test_an_extract_of_one_range_copies_in_the_calling_thread(db, monkeypatch):
    """A thread pays only where a copy overlaps a load: an incremental run (one range) starts none."""
    pg(db["dsn"], "INSERT INTO orgm.account (sfid, name, systemmodstamp, isdeleted) SELECT '001' || lpad(g::text, "
                  "15, 'x'), repeat('n', 500), %s, false FROM generate_series(1, 100) AS g", (utcnow(),))  # fmt: skip
    assert build(ReplicateOrgmTable(table="account", slot=SLOT))
    pg(db["dsn"], "UPDATE orgm.account SET name = 'Renamed', systemmodstamp = %s WHERE sfid = %s",
       (utcnow() + timedelta(seconds=1), db["customer"]))  # fmt: skip
    threads: list[str] = []
    copy_out = PgSession.copy_out

    def spy(self, query, params, path):
        threads.append(threading.current_thread().name)
        return copy_out(self, query, params, path)

    monkeypatch.setattr(PgSession, "copy_out", spy)
    with connect("t") as session, PgSession("t") as pgs:
        assert replicate_table(session, pgs, "account").upserted == 1
        monkeypatch.setattr(replication, "RANGE_PAGES", 1)
        assert replicate_table(session, pgs, "account", full=True).mode == "full"
    main = threading.main_thread().name
    assert threads[0] == main
    assert len(threads) > 2 and all(name != main for name in threads[1:])  # each range of the full load


def test_merges_append_until_every_nth_run_compacts_the_storage(db, settings):
    dsn = db["dsn"]
    settings.set("replication", "compact_after_merges", 3)
    assert build(ReplicateOrgmTable(table="account", slot=SLOT))

    def storage() -> tuple[int, int]:  # (row groups, rows stored, deleted ones included)
        return wh("SELECT count(DISTINCT row_group_id), sum(count) FILTER (WHERE column_id = 0 AND segment_type "
                  "= 'BIGINT') FROM pragma_storage_info('raw.orgm.account')")[0]  # fmt: skip

    def merge(i: int) -> Outcome:  # another account each time: none of the rows a merge appended is deleted
        stamp, sfid = utcnow() + timedelta(seconds=1 + i), db[("lost", "customer", "prospect")[i]]
        pg(dsn, "UPDATE orgm.account SET name = %s, systemmodstamp = %s WHERE sfid = %s", (f"v{i}", stamp, sfid))
        with connect("t") as session, PgSession("t") as pgs:
            return replicate_table(session, pgs, "account")

    def merges() -> int:
        state = "raw.pipeline.replication_state"
        return wh(f"SELECT merges_since_compaction FROM {state} WHERE table_name = 'account'")[0][0]

    groups, stored = storage()
    seen = [(merge(i).compacted, storage(), merges()) for i in range(3)]
    # Two runs each append a row group and keep the old version's row; the third rewrites them away.
    assert seen == [(False, (groups + 1, stored + 1), 1), (False, (groups + 2, stored + 2), 2),
                    (True, (groups, stored), 0)]  # fmt: skip
    assert wh("SELECT name FROM raw.orgm.account WHERE name LIKE 'v_' ORDER BY 1") == [("v0",), ("v1",), ("v2",)]
    assert replicated("account") == live_rows(dsn, "account")


def test_a_state_table_from_before_compaction_gets_its_new_column(db):
    assert build(ReplicateOrgmTable(table="account", slot=SLOT))
    wh("ALTER TABLE raw.pipeline.replication_state DROP COLUMN merges_since_compaction")  # as deployed before
    with connect("t") as session, PgSession("t") as pgs:
        assert replicate_table(session, pgs, "account").mode == "incremental"
    state = wh("SELECT merges_since_compaction FROM raw.pipeline.replication_state ORDER BY table_name")
    assert state == [(1,), (None,)]  # account merged once since; delete_history__c's NULL reads as 0


def test_a_new_postgres_column_is_added_and_backfilled_by_a_full_reload(db, monkeypatch):
    dsn = db["dsn"]
    assert build(ReplicateOrgmTable(table="account", slot=SLOT))
    # Heroku Connect maps a new field and fills it without touching systemmodstamp: an incremental run
    # would never copy the old rows' values.
    pg(dsn, "ALTER TABLE orgm.account ADD COLUMN region__c varchar, ADD COLUMN seats__c numeric(10,0)")
    pg(dsn, "UPDATE orgm.account SET region__c = 'EMEA', seats__c = 10")

    def crash(*args, **kwargs):
        raise RuntimeError("killed after the ALTER, before the reload")

    with monkeypatch.context() as patched:
        patched.setattr(DuckDBSession, "load_csv", crash)
        with pytest.raises(RuntimeError, match="killed"):
            ReplicateOrgmTable(table="account", slot=SLOT + timedelta(minutes=30)).run()
    assert wh("SELECT count(*), count(region__c) FROM raw.orgm.account") == [(5, 0)]  # added, not yet filled
    with connect("t") as session, PgSession("t") as pgs:
        outcome = replicate_table(session, pgs, "account")
    assert outcome.mode == "full"
    filled = "count(*) FILTER (WHERE region__c = 'EMEA' AND seats__c = 10)"
    assert wh(f"SELECT count(*), {filled} FROM raw.orgm.account") == [(5, 5)]
    assert wh("SELECT data_type FROM information_schema.columns WHERE table_catalog = 'raw' AND "
              "table_name = 'account' AND column_name = 'seats__c'") == [("DECIMAL(10,0)",)]  # fmt: skip
    with connect("t") as session, PgSession("t") as pgs:
        assert replicate_table(session, pgs, "account").mode == "incremental"


def test_a_missing_table_or_key_is_a_clear_error(db):
    dsn = db["dsn"]
    with connect("t") as session, PgSession("t") as pgs:
        with pytest.raises(ReplicationError, match=r"Postgres table orgm\.lead does not exist"):
            replicate_table(session, pgs, "lead")
        pg(dsn, "ALTER TABLE orgm.contact DROP COLUMN systemmodstamp")
        with pytest.raises(ReplicationError, match="lacks column\\(s\\) systemmodstamp"):
            replicate_table(session, pgs, "contact")


# -- Snowflake: through the connector on fakesnow ----------------------------------------------------------


# fakesnow 0.12.1 loads a CSV of 10 or more fields wrongly (DuckDB names them column00.., fakesnow reads
# column0..): the fakesnow test replicates narrowed tables, which [replication] exclude_columns allows.
NARROW = {
    "opportunity": ["accountid", "isclosed", "type", "stagename", "probability", "forecastcategoryname",
                    "expectedrevenue", "ownerid", "license_key__c", "arr_contributed__c", "renewal_risk_status__c",
                    "csm_owner__c", "status_wlo__c", "createddate", "_hc_lastop", "_hc_err"],
    "delete_history__c": ["name", "object_type__c", "createddate", "_hc_lastop", "_hc_err"],
}  # fmt: skip


@pytest.fixture
def snowflake_db(db, snowflake, settings):
    excluded = [f"{table}.{column}" for table, columns in NARROW.items() for column in columns]
    settings.set("replication", "exclude_columns", json.dumps(excluded))
    return db


def test_replication_through_the_snowflake_backend_on_fakesnow(snowflake_db):
    dsn = snowflake_db["dsn"]
    assert build(ReplicateOrgmTable(table="opportunity", slot=SLOT))
    with connect("t") as s:
        assert s.backend == "snowflake"
        assert s.execute("SELECT sfid, systemmodstamp FROM raw.orgm.opportunity ORDER BY sfid") == live_rows(
            dsn, "opportunity"
        )
        cols = dict(s.table_columns("raw.orgm.opportunity"))
        assert (cols["amount"], cols["closedate"], cols["iswon"], cols["id"]) == (
            "DECIMAL(18,2)", "DATE", "BOOLEAN", "BIGINT")  # fmt: skip
        tables = s.execute("SELECT table_name FROM raw.information_schema.tables WHERE table_schema = 'ORGM'")
        assert sorted(t.lower() for (t,) in tables) == ["delete_history__c", "opportunity"]  # scratch tables dropped
    stamp = utcnow() + timedelta(seconds=1)
    gone = query(dsn, "SELECT sfid FROM orgm.opportunity WHERE iswon LIMIT 1")[0][0]
    lost = query(dsn, "SELECT sfid FROM orgm.opportunity WHERE NOT iswon")[0][0]
    pg(dsn, "UPDATE orgm.opportunity SET amount = 1234.5, systemmodstamp = %s WHERE sfid = %s", (stamp, lost))
    pg(dsn, "UPDATE orgm.opportunity SET isdeleted = true, systemmodstamp = %s WHERE sfid = %s", (stamp, gone))
    with connect("t") as s, PgSession("t") as pgs:
        outcome = replicate_table(s, pgs, "opportunity")
        assert (outcome.mode, outcome.upserted, outcome.deleted) == ("incremental", 1, 1)
        assert s.execute("SELECT count(*), max(amount) FROM raw.orgm.opportunity") == [(3, Decimal("1234.50"))]
        assert s.execute("SELECT count(*) FROM raw.orgm.opportunity WHERE sfid = ?", (gone,)) == [(0,)]
        assert s.execute("SELECT bookmark FROM raw.pipeline.replication_state WHERE table_name = 'opportunity'") == [
            (stamp,)
        ]
    pg(dsn, "ALTER TABLE orgm.opportunity ADD COLUMN region__c varchar")
    pg(dsn, "UPDATE orgm.opportunity SET region__c = 'AMER'")
    assert build(ReplicateOrgmTable(table="opportunity", slot=SLOT + timedelta(minutes=30)))
    with connect("t") as s:
        assert s.execute("SELECT count(*), count(region__c) FROM raw.orgm.opportunity") == [(3, 3)]
        with PgSession("t") as pgs:
            outcome = replicate_table(s, pgs, "opportunity", full=True)
        assert (outcome.mode, outcome.upserted) == ("full", 3)
