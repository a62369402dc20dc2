"""The reverse-ETL queue on a real PostgreSQL: drain with post-process, the small-result guard, schema drift
recreating the Postgres table, failures leaving it untouched; DuckDB for real, Snowflake through fakesnow."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from targets.markers.snapshots import SNAPSHOTS
from targets.warehouse.connect import connect
from tasks.publish.write_back import QUEUE_COLUMNS, DrainWriteBackQueue, WriteBackError, pending
from tests.conftest import SLOT, build, contents
from tests.conftest import pg_query as query

QUEUE = "analytics.util.pg_imports"
SOURCE = "analytics.cs.account_health_score"
DEST = "staging.account_health_score"
POST = "pg_update_account_health_score.sql"


def wh(sql: str, params: tuple = ()) -> list[tuple]:
    with connect("test", "transformer") as s:
        return s.execute(sql, params)


def enqueue(source: str = SOURCE, destination: str = DEST, post: str | None = POST) -> None:
    with connect("test", "transformer") as s:
        s.ensure_table(QUEUE, QUEUE_COLUMNS)
        s.execute(f"INSERT INTO {QUEUE} (source_table, destination_table, created_at, post_process_file) "
                  "VALUES (?, ?, CURRENT_TIMESTAMP, ?)", (source, destination, post))  # fmt: skip


def scores(ids: dict, extra: bool = True) -> None:
    """The warehouse's health scores for four of the five sample accounts (not 'lost')."""
    with connect("test", "transformer") as s:
        s.execute("CREATE SCHEMA IF NOT EXISTS analytics.cs")
        s.execute(f"CREATE OR REPLACE TABLE {SOURCE} (account_sfid VARCHAR, health_score INTEGER"
                  + (", note VARCHAR, as_of TIMESTAMP, day DATE, ratio DECIMAL(5,2), flag BOOLEAN, d DOUBLE" if extra
                     else "") + ")")  # fmt: skip
        for i, key in enumerate(["customer", "attrited", "prospect", "services"]):
            row = (ids[key], 40 + i)
            if extra:
                row += ([None, "", 'say "hi"\nbye', "plain"][i], datetime(2026, 11, 25, 10, i), date(2026, 11, i + 1),
                        Decimal("1.25") * i, i % 2 == 0, 0.5 + i)  # fmt: skip
            s.execute(f"INSERT INTO {SOURCE} VALUES ({', '.join('?' for _ in row)})", row)


@pytest.fixture
def db(env, orgm, settings):
    """The sample org in Postgres (one account with a health score), an empty DuckDB warehouse, [write_back] min_rows
    small enough for the org."""
    settings.set("write_back", "min_rows", 3)
    query(orgm["dsn"], "UPDATE orgm.account SET health_score__c = 55 WHERE sfid = %s", (orgm["lost"],))
    return orgm


def health(dsn: str) -> dict[str, Decimal | None]:
    return dict(query(dsn, "SELECT name, health_score__c FROM orgm.account"))


def test_the_queue_is_drained_with_its_post_process(db):
    dsn = db["dsn"]
    scores(db)
    enqueue()
    enqueue()  # queued twice: copied once, both rows marked
    assert build(DrainWriteBackQueue(slot=SLOT), requirements=False)
    types = query(dsn, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'staging' "
                       "AND table_name = 'account_health_score' ORDER BY ordinal_position")  # fmt: skip
    assert types == [
        ("account_sfid", "text"), ("health_score", "bigint"), ("note", "text"),
        ("as_of", "timestamp without time zone"), ("day", "date"), ("ratio", "numeric"), ("flag", "boolean"),
        ("d", "double precision"),
    ]  # fmt: skip
    rows = query(dsn, f"SELECT account_sfid, note, as_of, day, ratio, flag, d FROM {DEST} ORDER BY health_score")
    assert [r[1] for r in rows] == [None, "", 'say "hi"\nbye', "plain"]
    assert rows[3][1:] == ("plain", datetime(2026, 11, 25, 10, 3), date(2026, 11, 4), Decimal("3.75"), False, 3.5)
    assert health(dsn) == {"Account customer": Decimal("40.00"), "Account attrited": Decimal("41.00"),
                           "Account prospect": Decimal("42.00"), "Account services": Decimal("43.00"),
                           "Account lost": None}  # fmt: skip
    assert wh(f"SELECT count(*), min(rows_affected) FROM {QUEUE} WHERE processed_at IS NOT NULL") == [(2, 4)]
    SNAPSHOTS.clear()
    assert DrainWriteBackQueue(slot=SLOT).complete()
    before = contents(dsn)
    assert build(
        DrainWriteBackQueue(slot=SLOT.replace(minute=30)), requirements=False
    )  # nothing queued: nothing changes
    assert contents(dsn) == before


def test_a_result_below_min_rows_is_refused_and_changes_nothing(db, settings):
    dsn = db["dsn"]
    settings.set("write_back", "min_rows", 500)
    scores(db)
    enqueue()
    before = contents(dsn)
    assert not build(DrainWriteBackQueue(slot=SLOT), requirements=False)
    with connect("t", "transformer") as s, pytest.raises(WriteBackError) as refused:
        DrainWriteBackQueue(slot=SLOT).work(s)
    assert "refusing to replace staging.account_health_score (0 rows) with 4 rows" in str(refused.value)
    assert "fewer than 500, [write_back] min_rows" in str(refused.value)
    assert contents(dsn) == before
    assert wh(f"SELECT count(*) FROM {QUEUE} WHERE processed_at IS NULL") == [(1,)]
    SNAPSHOTS.clear()
    assert not DrainWriteBackQueue(slot=SLOT).complete()


def test_a_result_below_half_of_the_current_rows_is_refused(db, settings):
    dsn = db["dsn"]
    settings.set("write_back", "min_rows_by_destination", json.dumps({DEST: 0}))
    query(dsn, "CREATE SCHEMA staging")
    ten = "SELECT 'x' || g AS account_sfid, g AS health_score FROM generate_series(1, 10) AS g"
    query(dsn, f"CREATE TABLE {DEST} AS {ten}")
    scores(db)
    enqueue()
    assert not build(DrainWriteBackQueue(slot=SLOT), requirements=False)
    assert query(dsn, f"SELECT count(*) FROM {DEST}") == [(10,)]
    assert health(dsn)["Account lost"] == Decimal("55.00")
    settings.set("write_back", "min_share_of_current", 0.4)
    assert build(DrainWriteBackQueue(slot=SLOT), requirements=False)
    assert query(dsn, f"SELECT count(*) FROM {DEST}") == [(4,)]


def test_schema_drift_in_the_warehouse_recreates_the_postgres_table(db):
    dsn = db["dsn"]
    scores(db, extra=False)
    enqueue(post=None)
    assert build(DrainWriteBackQueue(slot=SLOT), requirements=False)
    assert query(dsn, f"SELECT count(*) FROM {DEST}") == [(4,)]
    wh(f"ALTER TABLE {SOURCE} ADD COLUMN tier VARCHAR")
    wh(f"UPDATE {SOURCE} SET tier = 'gold'")
    wh(f"ALTER TABLE {SOURCE} DROP COLUMN health_score")
    enqueue(post=None)
    assert build(DrainWriteBackQueue(slot=SLOT.replace(minute=30)), requirements=False)
    assert query(dsn, f"SELECT account_sfid IS NOT NULL, tier FROM {DEST} GROUP BY 1, 2") == [(True, "gold")]
    columns = query(dsn, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'staging' "
                         "AND table_name = 'account_health_score' ORDER BY ordinal_position")  # fmt: skip
    assert columns == [("account_sfid",), ("tier",)]


def test_a_failing_post_process_rolls_back_its_request_only(db, settings, tmp_path):
    dsn = db["dsn"]
    (tmp_path / "broken.sql").write_text("UPDATE orgm.account SET health_score__c = 1;\nSELECT 1 / 0;\n")
    settings.set("write_back", "post_process_dir", tmp_path)
    scores(db)
    wh(f"CREATE TABLE analytics.cs.other AS SELECT * FROM {SOURCE}")
    enqueue(post="broken.sql")
    enqueue(source="analytics.cs.other", destination="staging.other", post=None)
    before = health(dsn)
    with connect("t", "transformer") as s, pytest.raises(WriteBackError) as failed:
        DrainWriteBackQueue(slot=SLOT).work(s)
    assert str(failed.value).startswith("1 of 2 write-back(s) failed: broken.sql: statement 2 (line 2) failed [22012]")
    assert health(dsn) == before
    assert query(dsn, f"SELECT to_regclass('{DEST}')") == [(None,)]
    assert query(dsn, "SELECT count(*) FROM staging.other") == [(4,)]
    assert [(r.source_table, r.post_process_file) for r in _pending()] == [(SOURCE, "broken.sql")]


def _pending():
    with connect("t", "transformer") as s:
        return pending(s)


def test_a_missing_source_or_post_process_is_a_clear_error(db):
    enqueue(source="analytics.cs.nothing_here", post=None)
    enqueue(source=SOURCE, post="no_such_file.sql")
    scores(db)
    with connect("t", "transformer") as s, pytest.raises(WriteBackError) as failed:
        DrainWriteBackQueue(slot=SLOT).work(s)
    assert "analytics.cs.nothing_here does not exist in the warehouse" in str(failed.value)
    assert "post-process 'no_such_file.sql': no file sql/postgres/post_process/no_such_file.sql" in str(failed.value)


def test_the_queue_table_matches_the_dbt_model(db):
    with connect("t", "transformer") as s:
        DrainWriteBackQueue(slot=SLOT).prepare(s)
        assert s.table_columns(QUEUE) == [
            ("source_table", "VARCHAR"), ("destination_table", "VARCHAR"), ("created_at", "TIMESTAMP"),
            ("post_process_file", "VARCHAR"), ("processed_at", "TIMESTAMP"), ("rows_affected", "BIGINT")]  # fmt: skip


# -- Snowflake through fakesnow ----------------------------------------------------------------------------


@pytest.fixture
def snowflake_db(db, snowflake):
    return db


def test_the_drain_through_the_snowflake_backend_on_fakesnow(snowflake_db, tmp_path):
    dsn = snowflake_db["dsn"]
    scores(snowflake_db)
    with connect("t", "transformer") as s:
        assert s.backend == "snowflake"
        assert dict(s.table_columns(SOURCE)) == {
            "account_sfid": "VARCHAR", "health_score": "BIGINT", "note": "VARCHAR", "as_of": "TIMESTAMP",
            "day": "DATE", "ratio": "DECIMAL(5,2)", "flag": "BOOLEAN", "d": "DOUBLE"}  # fmt: skip
        assert s.unload_csv(SOURCE, ["account_sfid", "note", "as_of", "flag"], tmp_path / "x.csv", fetch_rows=3) == 4
    text = (tmp_path / "x.csv").read_text()
    assert text.splitlines()[0].endswith(",,2026-11-25 10:00:00,true")  # NULL: empty, unquoted
    assert ',"",2026' in text and ',"say ""hi""\nbye",2026' in text  # '' and text: quoted
    enqueue()
    assert build(DrainWriteBackQueue(slot=SLOT), requirements=False)
    assert health(dsn)["Account customer"] == Decimal("40.00") and health(dsn)["Account lost"] is None
    assert wh(f"SELECT rows_affected FROM {QUEUE}") == [(4,)]
