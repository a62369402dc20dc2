"""Write generated data: landing files to a folder or S3, tables to PostgreSQL and DuckDB."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path

import boto3
import duckdb
import psycopg2
import pyarrow as pa

from devdata.model import LandingFile, Table

Sink = Callable[[str, bytes], None]


def open_sink(root: str) -> Sink:
    """A function writing (key, bytes) under `root`: a local folder or s3://bucket/prefix (AWS_ENDPOINT_URL works)."""
    if root.startswith("s3://"):
        bucket, _, prefix = root.removeprefix("s3://").partition("/")
        client = boto3.client("s3")
        return lambda key, data: client.put_object(
            Bucket=bucket, Key=f"{prefix.strip('/')}/{key}".lstrip("/"), Body=data
        )

    def write_local(key: str, data: bytes) -> None:
        path = Path(root, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return write_local


def write_files(files: Iterable[LandingFile], root: str) -> int:
    """Write exactly the given files (callers choose late or not); returns how many were written."""
    sink = open_sink(root)
    with ThreadPoolExecutor(8) as pool:  # S3 puts are latency bound
        return sum(1 for _ in pool.map(lambda f: sink(f.key, f.data), files))


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qualified(*parts: str) -> str:
    return ".".join(quote_ident(p) for p in parts)


def new_database(server_dsn: str, name: str, template: str | None = None) -> str:
    """Database ``name`` on the DSN's server made anew, empty or a copy of ``template`` (nothing may be connected
    to the template meanwhile); its DSN."""
    con = psycopg2.connect(psycopg2.extensions.make_dsn(server_dsn, dbname="template1"))
    con.autocommit = True
    try:
        with con.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)}")
            cur.execute(
                f"CREATE DATABASE {quote_ident(name)}" + (f" TEMPLATE {quote_ident(template)}" if template else "")
            )
    finally:
        con.close()
    return psycopg2.extensions.make_dsn(server_dsn, dbname=name)


def write_postgres(tables: Sequence[Table], dsn: str) -> None:
    """Drop, recreate and COPY every table, all in one transaction."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            for table in tables:
                name = _qualified(table.schema, table.name)
                cur.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(table.schema)}")
                cur.execute(f"DROP TABLE IF EXISTS {name} CASCADE")
                cur.execute(f"CREATE TABLE {name} ({_pg_columns(table)})")
                columns = ", ".join(quote_ident(c) for c in table.column_names)
                cur.copy_expert(f"COPY {name} ({columns}) FROM STDIN", io.StringIO(_copy_text(table.rows)))
                if table.serial:  # later inserts without an id must not collide with the copied ids
                    serial = quote_ident(table.serial)
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence(%s, %s), coalesce(max({serial}), 0) + 1, false)"
                        f" FROM {name}",
                        (name, table.serial),
                    )
    finally:
        conn.close()


def _pg_columns(table: Table) -> str:
    defs = [
        f"{quote_ident(c)} SERIAL PRIMARY KEY" if c == table.serial else f"{quote_ident(c)} {t}"
        for c, t in table.columns
    ]
    defs += [f"UNIQUE ({quote_ident(c)})" for c in table.unique]
    return ", ".join(defs)


def _copy_text(rows: Iterable[tuple]) -> str:
    return "".join("\t".join(_copy_value(v) for v in row) + "\n" for row in rows)


def _copy_value(value: object) -> str:
    """A value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def write_duckdb(tables: Sequence[Table], con: duckdb.DuckDBPyConnection, database: str = "raw") -> None:
    """Create or replace `<database>.<schema>.<table>` from an Arrow table (no row-by-row inserts)."""
    for table in tables:
        name = _qualified(database, table.schema, table.name)
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_qualified(database, table.schema)}")
        ddl = ", ".join(f"{quote_ident(c)} {t}" for c, t in table.columns)
        con.execute(f"CREATE OR REPLACE TABLE {name} ({ddl})")
        if table.rows:
            columns = list(zip(*table.rows, strict=True))
            arrow = pa.table(
                {
                    c: pa.array(list(values), type=_arrow_type(t))
                    for (c, t), values in zip(table.columns, columns, strict=True)
                }
            )
            con.register("devdata_rows", arrow)
            try:
                con.execute(f"INSERT INTO {name} SELECT * FROM devdata_rows")
            finally:
                con.unregister("devdata_rows")


def _arrow_type(sql_type: str) -> pa.DataType:
    base = sql_type.upper()
    if numeric := re.fullmatch(r"NUMERIC\((\d+),\s*(\d+)\)", base):
        return pa.decimal128(int(numeric[1]), int(numeric[2]))
    if base.startswith("VARCHAR"):
        return pa.string()
    return {
        "BIGINT": pa.int64(),
        "INTEGER": pa.int32(),
        "BOOLEAN": pa.bool_(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us"),
        "DOUBLE PRECISION": pa.float64(),
    }[base]
