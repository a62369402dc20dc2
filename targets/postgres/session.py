"""The Heroku Connect Postgres: a session (psycopg2) and the type mapping to and from the warehouse.

The DSN is the secret HEROKU_POSTGRESQL_URL. Every connection runs in UTC with ISO dates, named after
the job (``application_name``, visible in pg_stat_activity), and autocommits outside ``transaction()``.
Bind parameters use psycopg2's ``%s`` style; identifiers are validated and double-quoted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from config import secrets
from config.settings import postgres as postgres_settings

logger = logging.getLogger("bizops.postgres")

DSN_SECRET = "HEROKU_POSTGRESQL_URL"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")


def quote(name: str) -> str:
    """A double-quoted Postgres identifier (schema.table allowed), after validating every part."""
    parts = name.split(".")
    if not all(_NAME.match(p) for p in parts):
        raise ValueError(f"invalid Postgres identifier {name!r}: expected letters, digits and underscores")
    return ".".join(f'"{p}"' for p in parts)


def split_name(name: str) -> tuple[str, str]:
    """schema.table -> (schema, table), validated."""
    parts = name.split(".")
    if len(parts) != 2:
        raise ValueError(f"invalid Postgres table name {name!r}: expected schema.table")
    quote(name)
    return parts[0], parts[1]


# -- types -----------------------------------------------------------------------------------------

_PG_TEXT = {"character varying", "text", "character", "bpchar", "name", "citext", "uuid", "json", "jsonb"}
_PG_INT = {"smallint", "integer", "bigint"}


@dataclass(frozen=True)
class PgColumn:
    name: str
    data_type: str  # as information_schema.columns.data_type spells it
    precision: int | None = None
    scale: int | None = None

    @property
    def warehouse_type(self) -> str:
        """The column's warehouse type (the canonical names of targets.warehouse.session.COLUMN_TYPES)."""
        t = self.data_type.lower()
        if t in _PG_INT:
            return "BIGINT"
        if t == "numeric":
            if self.precision is not None and self.precision <= 38:
                return f"DECIMAL({self.precision},{self.scale or 0})"
            return "DOUBLE"  # unconstrained (or wider than the warehouse's 38 digits): no exact target type
        if t in ("double precision", "real"):
            return "DOUBLE"
        if t == "boolean":
            return "BOOLEAN"
        if t == "date":
            return "DATE"
        if t.startswith("timestamp"):
            return "TIMESTAMP"
        return "VARCHAR"  # text types, and anything else as its text form (json, uuid, arrays, time, ...)

    @property
    def select_expression(self) -> str:
        """How the column is read for the extract: timestamptz as UTC wall time, other non-text types as text."""
        q = quote(self.name)
        t = self.data_type.lower()
        if t == "timestamp with time zone":
            return f"({q} AT TIME ZONE 'UTC') AS {q}"
        return q


def pg_type(warehouse_type: str) -> str:
    """Postgres type for a warehouse column (write-back): integers -> bigint, DECIMAL(p,s) -> numeric(p,s)."""
    t = warehouse_type.upper()
    if t == "BIGINT":
        return "bigint"
    if m := re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", t):
        return f"numeric({m.group(1)},{m.group(2)})"
    return {"DOUBLE": "double precision", "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp"}.get(t, "text")


# -- session ---------------------------------------------------------------------------------------


def dsn() -> str:
    return secrets.get(DSN_SECRET)


class PgSession:
    """One psycopg2 connection, opened on first use; autocommit outside ``transaction()``."""

    placeholder = "%s"

    def __init__(self, application_name: str):
        self.application_name = application_name[:63]
        self._con: Any = None
        self._in_transaction = False

    @property
    def con(self) -> Any:
        if self._con is None:
            cfg = postgres_settings()
            extra = {"sslmode": cfg.sslmode} if cfg.sslmode else {}
            self._con = psycopg2.connect(
                dsn(),
                application_name=self.application_name,
                connect_timeout=cfg.connect_timeout_seconds,
                options="-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=iso_8601",
                **extra,
            )
            self._con.autocommit = True
        return self._con

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        with self.con.cursor() as cur:
            cur.execute(sql, params if params else None)
            return cur.fetchall() if cur.description else []

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        with self.con.cursor() as cur:
            yield cur

    @contextmanager
    def transaction(self) -> Iterator[PgSession]:
        """One transaction with the statement and lock timeouts of [postgres]; rolls back on any exception."""
        if self._in_transaction:
            raise RuntimeError("nested transactions are not supported")
        con = self.con
        con.autocommit = False
        self._in_transaction = True
        try:
            cfg = postgres_settings()
            self.execute("SELECT set_config('statement_timeout', %s, true)", (f"{cfg.statement_timeout_seconds}s",))
            self.execute("SELECT set_config('lock_timeout', %s, true)", (f"{cfg.lock_timeout_seconds}s",))
            yield self
        except BaseException:
            try:
                con.rollback()
            except psycopg2.Error:  # a broken connection: the server rolls back by itself
                logger.warning("rollback failed on %s", self.application_name, exc_info=True)
            raise
        else:
            con.commit()
        finally:
            self._in_transaction = False
            if not con.closed:
                con.autocommit = True

    def ensure_table(self, table: str, columns: Sequence[tuple[str, str]]) -> None:
        """Create the schema and table if missing (autocommit; a concurrent creator is not an error)."""
        if self._in_transaction:
            raise RuntimeError(f"ensure_table({table}) inside a transaction")
        schema, _ = split_name(table)
        cols = ", ".join(f"{quote(name)} {ctype}" for name, ctype in columns)
        # A concurrent run creating the same objects between the check and the creation is not an error.
        races = (psycopg2.errors.UniqueViolation, psycopg2.errors.DuplicateTable, psycopg2.errors.DuplicateSchema)
        for sql in (
            f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}",
            f"CREATE TABLE IF NOT EXISTS {quote(table)} ({cols})",
        ):
            with suppress(*races):
                self.execute(sql)

    def columns(self, table: str) -> list[PgColumn]:
        """The table's columns in order (empty when it does not exist)."""
        split_name(table)
        # information_schema.columns' own expressions over pg_catalog: the view itself costs a fresh
        # connection far more catalog reads (bench/replication.py), its privilege filter included.
        rows = self.execute(
            "SELECT a.attname, format_type(information_schema._pg_truetypid(a, t), NULL), "
            "information_schema._pg_numeric_precision(information_schema._pg_truetypid(a, t), "
            "information_schema._pg_truetypmod(a, t)), "
            "information_schema._pg_numeric_scale(information_schema._pg_truetypid(a, t), "
            "information_schema._pg_truetypmod(a, t)) "
            "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
            "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            (quote(table),),
        )
        return [PgColumn(c, t, p if t == "numeric" else None, s if t == "numeric" else None) for c, t, p, s in rows]

    def copy_out(self, query: str, params: Sequence[Any] | None, path: str | Path) -> int:
        """Stream ``COPY (query) TO STDOUT`` as CSV (no header; NULL = empty field, '' = two quotes) into a local
        file, never holding the rows in memory; returns the rows."""
        with self.con.cursor() as cur, open(path, "wb", buffering=1 << 20) as out:
            sql = cur.mogrify(query, params) if params else query.encode()
            cur.copy_expert(b"COPY (" + sql + b") TO STDOUT WITH (FORMAT csv)", out, size=1 << 20)
            return cur.rowcount

    def copy_in(self, table: str, columns: Sequence[str], path: str | Path) -> int:
        """Stream a CSV file (no header; NULL = empty unquoted) into the table; rows."""
        cols = ", ".join(quote(c) for c in columns)
        with self.con.cursor() as cur, open(path, "rb") as src:
            cur.copy_expert(f"COPY {quote(table)} ({cols}) FROM STDIN WITH (FORMAT csv)", src, size=1 << 20)
            return cur.rowcount

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> PgSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
