"""The Postgres session (targets.postgres.session) on a real PostgreSQL (pgserver): type mapping both ways,
transactions, COPY out and in."""

from __future__ import annotations

from decimal import Decimal

import psycopg2
import pytest

from targets.postgres.session import PgColumn, PgSession, pg_type, quote


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
