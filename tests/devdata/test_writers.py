"""Writing the generated data (devdata.writers): files to a folder or S3, tables to PostgreSQL and DuckDB."""

from __future__ import annotations

from pathlib import Path

import boto3
import duckdb
import psycopg2
import pytest

from devdata import write_duckdb, write_files, write_postgres
from devdata.generate import Dataset


def test_write_files_to_a_folder(dataset: Dataset, tmp_path: Path) -> None:
    on_time = [f for f in dataset.files if not f.late]
    assert write_files(on_time, str(tmp_path)) == len(on_time)
    landed = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert landed == {f.key for f in on_time}
    late = [f for f in dataset.files if f.late]
    write_files(late, str(tmp_path))
    assert all((tmp_path / f.key).read_bytes() == f.data for f in dataset.files)


def test_write_files_to_s3(dataset: Dataset, s3_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ENDPOINT_URL": s3_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="landing")
    chosen = [f for f in dataset.files if not f.late][:40] + [f for f in dataset.files if f.late][:5]
    write_files(chosen, "s3://landing/dev")
    keys = {
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="landing")
        for o in page.get("Contents", [])
    }
    assert keys == {f"dev/{f.key}" for f in chosen}
    sample = chosen[-1]
    assert s3.get_object(Bucket="landing", Key=f"dev/{sample.key}")["Body"].read() == sample.data


def test_write_postgres(dataset: Dataset, postgres_dsn: str) -> None:
    write_postgres(dataset.orgm, postgres_dsn)
    write_postgres(dataset.orgm, postgres_dsn)  # drops and recreates: rerunnable
    with psycopg2.connect(postgres_dsn) as conn, conn.cursor() as cur:
        for table in dataset.orgm:
            cur.execute(f'SELECT count(*) FROM orgm."{table.name}"')
            assert cur.fetchone()[0] == len(table.rows)
        cur.execute("""SELECT table_name, column_name, data_type, numeric_precision, numeric_scale,
                              character_maximum_length
                       FROM information_schema.columns WHERE table_schema = 'orgm'""")
        types = {(t, c): rest for t, c, *rest in cur.fetchall()}
        assert types[("opportunitylineitem", "totalprice")] == ["numeric", 18, 2, None]
        assert types[("opportunity", "closedate")][0] == "date"
        assert types[("account", "systemmodstamp")][0] == "timestamp without time zone"
        assert types[("account", "sfid")] == ["character varying", None, None, 18]
        assert types[("contact", "isdeleted")][0] == "boolean"
        cur.execute("""INSERT INTO orgm."user" (sfid, lastname) VALUES ('005360000NEWUSER01', 'New')
                       RETURNING id""")
        assert cur.fetchone()[0] == len(next(t for t in dataset.orgm if t.name == "user").rows) + 1
        with pytest.raises(psycopg2.errors.UniqueViolation):
            cur.execute("""INSERT INTO orgm.account (sfid, name) SELECT sfid, 'copy' FROM orgm.account LIMIT 1""")
        conn.rollback()
        cur.execute("""SELECT count(*) FROM orgm._trigger_log
                       WHERE state = 'FAILED' AND sf_message LIKE 'unable to obtain exclusive access%'""")
        assert cur.fetchone()[0] == len(dataset.dirt.lock_failures)
    conn.close()


def test_write_duckdb(dataset: Dataset) -> None:
    with duckdb.connect() as con:
        con.execute("ATTACH ':memory:' AS raw")
        write_duckdb(dataset.segment + dataset.orgm, con)
        for table in dataset.segment + dataset.orgm:
            assert con.execute(f'SELECT count(*) FROM raw.{table.schema}."{table.name}"').fetchone()[0] == len(
                table.rows
            )
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'raw' "
                "AND schema_name = 'orgm' AND table_name = 'opportunitylineitem'"
            ).fetchall()
        )
        assert types["totalprice"] == "DECIMAL(18,2)" and types["start_date__c"] == "DATE"
        server = next(t for t in dataset.segment if t.name == "server")
        first = con.execute('SELECT user_id, "timestamp" FROM raw.mattermost2.server ORDER BY rowid LIMIT 1').fetchone()
        assert first == (server.rows[0][1], server.rows[0][4])


def test_new_database_is_made_anew_empty_or_as_a_copy_of_its_template(postgres_dsn: str) -> None:
    from devdata.writers import new_database
    from tests.conftest import pg_query

    source = new_database(postgres_dsn, "writers_source")
    pg_query(source, "CREATE TABLE t AS SELECT 1 AS x")
    copy = new_database(postgres_dsn, "writers_copy", template="writers_source")
    assert pg_query(copy, "SELECT x FROM t") == [(1,)]
    empty = new_database(postgres_dsn, "writers_copy")
    assert pg_query(empty, "SELECT count(*) FROM pg_tables WHERE tablename = 't'") == [(0,)]
