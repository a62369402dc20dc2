"""The replication of orgm as Luigi tasks, on DuckDB for real: every table of a slot, its marker, and the
delete history replicated before the tables whose deletes it lists."""

from __future__ import annotations

from datetime import timedelta

import psycopg2

from targets.markers.snapshots import SNAPSHOTS
from tasks.extract.replication import ReplicateOrgm, ReplicateOrgmTable
from tests.conftest import ORGM_TABLES as TABLES
from tests.conftest import SLOT, bookmark, build, insert, live_rows, pg, replicated, utcnow, wh
from tests.conftest import pg_query as query


def test_first_load_copies_every_table_with_mapped_types(db):
    dsn = db["dsn"]
    assert build(ReplicateOrgm(slot=SLOT))
    for table in TABLES:
        assert replicated(table) == live_rows(dsn, table), table
    types = dict(wh("SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = 'raw' "
                    "AND table_schema = 'orgm' AND table_name = 'opportunitylineitem'"))  # fmt: skip
    assert types == {
        "id": "BIGINT", "sfid": "VARCHAR", "name": "VARCHAR", "opportunityid": "VARCHAR", "product2id": "VARCHAR",
        "product_type__c": "VARCHAR", "product_line_type__c": "VARCHAR", "revenue_type__c": "VARCHAR",
        "description": "VARCHAR", "listprice": "DECIMAL(18,2)", "unitprice": "DECIMAL(18,2)",
        "discount": "DECIMAL(18,2)", "quantity": "DECIMAL(18,2)", "totalprice": "DECIMAL(18,2)",
        "start_date__c": "DATE", "end_date__c": "DATE", "arr_contributed__c": "DECIMAL(18,2)",
        "systemmodstamp": "TIMESTAMP", "createddate": "TIMESTAMP", "isdeleted": "BOOLEAN", "_hc_lastop": "VARCHAR",
        "_hc_err": "VARCHAR",
    }  # fmt: skip
    assert wh("SELECT DISTINCT description FROM raw.orgm.opportunitylineitem") == [('multi\nline "quoted", text',)]
    assert wh("SELECT count(*) FROM raw.orgm.opportunitylineitem WHERE totalprice = 48000") == [(1,)]
    assert bookmark("account") == query(dsn, "SELECT max(systemmodstamp) FROM orgm.account")[0][0]
    SNAPSHOTS.clear()
    assert all(ReplicateOrgmTable(table=t, slot=SLOT).complete() for t in TABLES)
    assert ReplicateOrgmTable(table="account", slot=SLOT).update_id() == "raw.orgm.account/2026-11-25T1300/v1"


def test_hard_deletes_propagate_from_isdeleted_and_delete_history(db):
    dsn = db["dsn"]
    assert build(ReplicateOrgm(slot=SLOT))
    stamp = utcnow() + timedelta(seconds=1)
    opp = query(dsn, "SELECT opportunityid FROM orgm.opportunitylineitem WHERE totalprice = 3000")[0][0]
    pg(dsn, "UPDATE orgm.opportunity SET isdeleted = true, systemmodstamp = %s WHERE sfid = %s", (stamp, opp))
    contact = query(dsn, "SELECT sfid FROM orgm.contact")[0][0]
    pg(dsn, "DELETE FROM orgm.contact WHERE sfid = %s", (contact,))  # gone from Postgres: only the history tells
    task = query(dsn, "SELECT sfid FROM orgm.task WHERE subject = 'Call: follow-up'")[0][0]  # still in Postgres
    con = psycopg2.connect(dsn)
    con.autocommit = True
    with con.cursor() as cur:
        for sfid, kind in [(contact, "Contact"), (task, "Task")]:
            insert(cur, "delete_history__c", name=f"DH {kind}", object_id__c=sfid, object_type__c=kind,
                   systemmodstamp=stamp)  # fmt: skip
    con.close()
    assert build(ReplicateOrgm(slot=SLOT + timedelta(minutes=30)))
    assert wh("SELECT count(*) FROM raw.orgm.opportunity WHERE sfid = ?", (opp,)) == [(0,)]
    assert wh("SELECT count(*) FROM raw.orgm.contact WHERE sfid = ?", (contact,)) == [(0,)]
    assert wh("SELECT count(*) FROM raw.orgm.task WHERE sfid = ?", (task,)) == [(0,)]
    assert wh("SELECT count(*) FROM raw.orgm.delete_history__c") == [(2,)]
    assert wh("SELECT row_count FROM raw.pipeline.markers WHERE update_id = 'raw.orgm.task/2026-11-25T1330/v1'") == [
        (1,)
    ]
