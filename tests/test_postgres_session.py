"""The Postgres side's building blocks on a real PostgreSQL (pgserver): statement splitting with line numbers,
type mapping, the session, the Postgres marker store. Also the shared orgm fixture of the test_postgres_* modules:
a database per module and the orgm tables (data-formats §2.5 plus Heroku Connect's system columns), fresh per test.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest

from targets import markers
from targets.markers import MarkerTarget
from targets.postgres import (
    POSTGRES_MARKERS,
    PgColumn,
    PgSession,
    ScriptError,
    pg_type,
    quote,
    split_statements,
)
from tests.conftest import pg_query as query

# -- the shared fixture ------------------------------------------------------------------------------

_SYSTEM = [("id", "serial"), ("sfid", "varchar(18) UNIQUE")]
_TAIL = [("systemmodstamp", "timestamp"), ("createddate", "timestamp"), ("isdeleted", "boolean DEFAULT false"),
         ("_hc_lastop", "varchar(32)"), ("_hc_err", "text")]  # fmt: skip
MONEY = "numeric(18,2)"
ORGM: dict[str, list[tuple[str, str]]] = {
    "user": [("lastname", "varchar"), ("email", "varchar"), ("system_type__c", "varchar")],
    "account": [("name", "varchar"), ("parentid", "varchar(18)"), ("type", "varchar"), ("arr_current__c", MONEY),
                ("health_score__c", MONEY), ("ownerid", "varchar(18)"), ("company_type__c", "varchar"),
                ("csm_lookup__c", "varchar(18)"), ("zendesk__zendesk_organization_id__c", "varchar")],
    "opportunity": [("name", "varchar"), ("accountid", "varchar(18)"), ("iswon", "boolean"), ("isclosed", "boolean"),
                    ("closedate", "date"), ("type", "varchar"), ("stagename", "varchar"), ("amount", MONEY),
                    ("probability", MONEY), ("forecastcategoryname", "varchar"), ("expectedrevenue", MONEY),
                    ("ownerid", "varchar(18)"), ("license_key__c", "varchar"), ("arr_contributed__c", MONEY),
                    ("renewal_risk_status__c", "varchar"), ("csm_owner__c", "varchar(18)"),
                    ("status_wlo__c", "varchar")],
    "opportunitylineitem": [("name", "varchar"), ("opportunityid", "varchar(18)"), ("product2id", "varchar(18)"),
                            ("product_type__c", "varchar"), ("product_line_type__c", "varchar"),
                            ("revenue_type__c", "varchar"), ("description", "text"), ("listprice", MONEY),
                            ("unitprice", MONEY), ("discount", MONEY), ("quantity", MONEY), ("totalprice", MONEY),
                            ("start_date__c", "date"), ("end_date__c", "date"), ("arr_contributed__c", MONEY)],
    "contact": [("email", "varchar"), ("accountid", "varchar(18)")],
    "task": [("accountid", "varchar(18)"), ("whoid", "varchar(18)"), ("whatid", "varchar(18)"),
             ("ownerid", "varchar(18)"), ("createdbyid", "varchar(18)"), ("subject", "varchar"),
             ("status", "varchar"), ("priority", "varchar"), ("type", "varchar"), ("tasksubtype", "varchar"),
             ("activitydate", "date"), ("description", "text"), ("isclosed", "boolean")],
    "delete_history__c": [("name", "varchar"), ("object_id__c", "varchar(18)"), ("object_type__c", "varchar")],
}  # fmt: skip
TRIGGER_LOG = [("id", "serial PRIMARY KEY"), ("table_name", "varchar(128)"), ("record_id", "integer"),
               ("sfid", "varchar(18)"), ("action", "varchar(7)"), ("state", "varchar(8)"), ("sf_message", "text"),
               ("updated_at", "timestamp")]  # fmt: skip
LOCKED = "unable to obtain exclusive access to this record or 1 records: 0013600000AAAAAAAA"
_ids = itertools.count(1)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return utcnow().date()


def sfid(prefix: str) -> str:
    return f"{prefix}{next(_ids):015d}"[:18]


def insert(cur: Any, table: str, **values: Any) -> dict[str, Any]:
    """One orgm row with Heroku Connect's defaults (sfid, stamps, isdeleted, _hc_lastop)."""
    if table != "_trigger_log":
        stamp = utcnow() - timedelta(days=2)
        values = {"sfid": sfid({"user": "005", "account": "001"}.get(table, "00x")), "systemmodstamp": stamp,
                  "createddate": stamp, "isdeleted": False, "_hc_lastop": "SYNCED", **values}  # fmt: skip
    cols = list(values)
    cur.execute(
        f"INSERT INTO orgm.{quote(table)} ({', '.join(quote(c) for c in cols)}) "
        f"VALUES ({', '.join(['%s'] * len(cols))})",
        [values[c] for c in cols],
    )
    return values


def create_orgm(cur: Any) -> None:
    cur.execute("DROP SCHEMA IF EXISTS orgm CASCADE; DROP SCHEMA IF EXISTS staging CASCADE; CREATE SCHEMA orgm")
    for table, columns in ORGM.items():
        cols = ", ".join(f"{quote(c)} {t}" for c, t in _SYSTEM + columns + _TAIL)
        cur.execute(f"CREATE TABLE orgm.{quote(table)} ({cols})")
    cur.execute(f"CREATE TABLE orgm._trigger_log ({', '.join(f'{quote(c)} {t}' for c, t in TRIGGER_LOG)})")


def sample_org(cur: Any) -> dict[str, str]:
    """A small org exercising every script's rules; returns the sfids the tests look at."""
    t = today()
    rep = insert(cur, "user", lastname="Lovelace", email="ada@example.com", system_type__c="Standard")["sfid"]
    marketo = insert(cur, "user", lastname="Marketo", email="marketo@example.com")["sfid"]
    ids = {"rep": rep, "marketo": marketo}
    for key, type_ in [("customer", "Prospect"), ("attrited", "Customer"), ("prospect", "Prospect"),
                       ("services", "Prospect"), ("lost", "Prospect")]:  # fmt: skip
        ids[key] = insert(cur, "account", name=f"Account {key}", type=type_, ownerid=rep)["sfid"]

    def deal(account: str, won: bool, *items: tuple[str, Decimal, date, date, bool]) -> None:
        opp = insert(cur, "opportunity", name=f"Deal {account}", accountid=ids[account], iswon=won, isclosed=True,
                     closedate=t - timedelta(days=40), type="New Business", stagename="6. Closed Won" if won else
                     "Closed Lost", amount=Decimal("1000.00"), ownerid=rep)["sfid"]  # fmt: skip
        for product_type, price, start, end, deleted in items:
            insert(cur, "opportunitylineitem", name=f"{product_type} {account}", opportunityid=opp,
                   product_type__c=product_type, product_line_type__c="New", totalprice=price, quantity=1,
                   unitprice=price, listprice=price, start_date__c=start, end_date__c=end, isdeleted=deleted,
                   description='multi\nline "quoted", text')  # fmt: skip

    # A 4-year term always holds one 29 February: 365 * 48000 / (1461 - 1) = 12000 a day (not 11992).
    deal("customer", True, ("Recurring", Decimal("48000.00"), t - timedelta(days=30), t + timedelta(days=1430), False),
         ("Non-Recurring", Decimal("5000.00"), t - timedelta(days=5), t + timedelta(days=5), False),
         ("Recurring", Decimal("99999.00"), t - timedelta(days=5), t + timedelta(days=360), True))  # fmt: skip
    deal("attrited", True, ("Recurring", Decimal("12000.00"), t - timedelta(days=500), t - timedelta(days=136), False))
    deal("services", True, ("Non-Recurring", Decimal("3000.00"), t - timedelta(days=5), t + timedelta(days=5), False))
    deal("lost", False, ("Recurring", Decimal("7000.00"), t - timedelta(days=5), t + timedelta(days=360), False))
    insert(cur, "task", accountid=ids["customer"], createdbyid=rep, ownerid=rep, subject="Call: follow-up", type="Call",
           status="Completed", activitydate=t - timedelta(days=3), isclosed=True)  # fmt: skip
    insert(cur, "task", accountid=ids["customer"], createdbyid=marketo, ownerid=rep, type="Email",
           subject="Marketo: Email Sent - Monthly Newsletter", status="Completed", isclosed=True)  # fmt: skip
    insert(cur, "task", accountid=ids["attrited"], createdbyid=rep, ownerid=rep, subject="Deleted call", type="Call",
           isdeleted=True)  # fmt: skip
    insert(cur, "contact", email="c@example.com", accountid=ids["customer"])
    for state, message in [("FAILED", LOCKED), ("FAILED", "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY: OpportunityTrigger"),
                           ("NEW", None), ("SUCCESS", None)]:  # fmt: skip
        insert(cur, "_trigger_log", table_name="account", sfid=ids["customer"], action="UPDATE", state=state,
               sf_message=message, updated_at=utcnow())  # fmt: skip
    return ids


def contents(dsn: str, schemas: tuple[str, ...] = ("orgm", "staging")) -> dict[str, list[tuple]]:
    """Every row of every table of the schemas (but the marker table), sorted: to compare two states."""
    con = psycopg2.connect(dsn)
    try:
        with con.cursor() as cur:
            cur.execute(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                "WHERE table_schema = ANY(%s) AND table_type = 'BASE TABLE' AND table_name <> 'table_updates'",
                (list(schemas),),
            )
            out = {}
            for (table,) in sorted(cur.fetchall()):
                cur.execute(f"SELECT * FROM {quote(table)}")
                out[table] = sorted(cur.fetchall(), key=repr)
            return out
    finally:
        con.close()


@pytest.fixture
def orgm(pg_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The orgm tables with the sample org, fresh for the test; HEROKU_POSTGRESQL_URL points at them."""
    monkeypatch.setenv("HEROKU_POSTGRESQL_URL", pg_db)
    con = psycopg2.connect(pg_db)
    con.autocommit = True
    with con.cursor() as cur:
        create_orgm(cur)
        ids = sample_org(cur)
    con.close()
    markers.forget_snapshots()
    yield {"dsn": pg_db, **ids}
    markers.forget_snapshots()


# -- tests of targets.postgres ------------------------------------------------------------------------


def test_statements_are_split_outside_strings_comments_and_dollar_quotes():
    sql = """-- header; not a statement
CREATE TABLE t (a text);  /* a; block /* nested; */ comment */
INSERT INTO t VALUES ('it''s; fine'), (E'back\\\\'';slash'), ($$dollar; quoted$$), ($tag$ $$; $tag$);

UPDATE t
SET a = "weird;name"
WHERE a LIKE 'x%'
"""
    statements = split_statements(sql, "x.sql")
    assert [(s.number, s.line, s.keyword) for s in statements] == [(1, 2, "CREATE"), (2, 3, "INSERT"), (3, 5, "UPDATE")]
    assert statements[1].text.endswith("($tag$ $$; $tag$)")
    assert statements[2].line_at(statements[2].text.index("WHERE") + 1) == 7


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("BEGIN;\nSELECT 1;\nCOMMIT;", r"x.sql: statement 1 \(line 1\) is BEGIN: remove transaction control"),
        ("SELECT 1;\n\\set ON_ERROR_STOP 1\n", r"x.sql: line 2: psql meta-commands are not supported"),
        ("SELECT 'open;\n", r"x.sql: unterminated string starting at line 1"),
        ("SELECT 1; /* open\n", r"x.sql: unterminated /\* comment starting at line 1"),
    ],
)
def test_unrunnable_scripts_are_refused_before_any_connection(sql, message):
    with pytest.raises(ScriptError, match=message):
        split_statements(sql, "x.sql")


def test_type_mapping_both_ways():
    assert [PgColumn(n, t, p, s).warehouse_type for n, t, p, s in [
        ("a", "character varying", None, None), ("b", "text", None, None), ("c", "numeric", 18, 2),
        ("d", "numeric", None, None), ("e", "integer", None, None), ("f", "bigint", None, None),
        ("g", "boolean", None, None), ("h", "date", None, None), ("i", "timestamp without time zone", None, None),
        ("j", "timestamp with time zone", None, None), ("k", "double precision", None, None),
        ("l", "jsonb", None, None),
    ]] == ["VARCHAR", "VARCHAR", "DECIMAL(18,2)", "DOUBLE", "BIGINT", "BIGINT", "BOOLEAN", "DATE", "TIMESTAMP",
           "TIMESTAMP", "DOUBLE", "VARCHAR"]  # fmt: skip
    assert PgColumn("at", "timestamp with time zone").select_expression == """("at" AT TIME ZONE 'UTC') AS "at\""""
    assert [pg_type(t) for t in ["VARCHAR", "BIGINT", "DECIMAL(10,3)", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP"]] == [
        "text", "bigint", "numeric(10,3)", "double precision", "boolean", "date", "timestamp"]  # fmt: skip
    assert quote("orgm.user") == '"orgm"."user"'
    with pytest.raises(ValueError, match="invalid Postgres identifier"):
        quote('orgm."user"; DROP TABLE x')


def test_a_transaction_rolls_back_everything_on_error(orgm):
    with PgSession("test") as pg:
        with pytest.raises(psycopg2.errors.DivisionByZero), pg.transaction():
            pg.execute("UPDATE orgm.account SET name = 'changed'")
            pg.execute("SELECT 1 / 0")
        assert pg.execute("SELECT count(*) FROM orgm.account WHERE name = 'changed'") == [(0,)]
        assert pg.execute("SHOW TimeZone") == [("UTC",)]
        with pg.transaction():
            assert pg.execute("SHOW statement_timeout") == [("15min",)]


def test_markers_can_live_in_postgres_with_one_query_per_process(orgm):
    target = MarkerTarget("pg-x/2026-11-25T13/v1", "pg-x", store=POSTGRES_MARKERS)
    assert not target.exists()
    with PgSession("test") as pg:
        POSTGRES_MARKERS.ensure(pg)
        with pg.transaction():
            target.write(pg, 7)
    markers.forget_snapshots()
    assert target.exists()
    assert markers.snapshot(POSTGRES_MARKERS).get(target.update_id).row_count == 7
    assert query(orgm["dsn"], "SELECT update_id, target_table, row_count FROM staging.table_updates") == [
        ("pg-x/2026-11-25T13/v1", "pg-x", 7)
    ]
    with PgSession("ops") as pg, pg.transaction():
        assert markers.delete_markers(pg, [target.update_id], store=POSTGRES_MARKERS) == 1
    assert not target.exists()


def test_copy_out_and_in_stream_csv_with_nulls_and_empty_strings(orgm, tmp_path):
    path = tmp_path / "out.csv"
    with PgSession("test") as pg:
        pg.execute("CREATE TABLE orgm.t (a text, b text, n numeric(5,2))")
        pg.execute("INSERT INTO orgm.t VALUES ('', NULL, 1.5), ('x\"y\nz', 'q', NULL)")
        assert pg.copy_out("SELECT * FROM orgm.t WHERE n IS NULL OR n > %s", (0,), path) == 2
        pg.execute("CREATE TABLE orgm.u (a text, b text, n numeric(5,2))")
        assert pg.copy_in("orgm.u", ["a", "b", "n"], path) == 2
        assert sorted(pg.execute("SELECT * FROM orgm.u"), key=repr) == sorted(
            [("", None, Decimal("1.50")), ('x"y\nz', "q", None)], key=repr
        )
