"""A Snowflake account for permifrost's own code: only its connection is replaced.

permifrost's SnowflakeConnector builds a SQLAlchemy engine; ``RecordedAccount.install`` hands it this one
instead. Reads (SHOW, SELECT CURRENT_*) are answered from a recorded account (tests/fixtures/permifrost/), rows
under Snowflake's column names; a read not recorded fails naming it. Every other statement (GRANT, REVOKE,
CREATE USER) is recorded in ``sent`` and acknowledged; a created user is listed by SHOW USERS from then on.
Everything above the connection - permifrost's spec loading, its SHOW parsing and diffing, services.permifrost -
is the real code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

_READS = ("SHOW ", "SELECT ")
_CREATE_USER = re.compile(r'^CREATE USER IF NOT EXISTS "([^"]+)"')


def _normal(sql: str) -> str:
    """As Snowflake reads it: unquoted identifiers are case-insensitive, quoted ones are not."""
    return '"'.join(part if i % 2 else part.upper() for i, part in enumerate(sql.split('"')))


class _Result:
    def __init__(self, rows: list[dict[str, Any]]):
        self.rows = rows

    def fetchall(self) -> list[dict[str, Any]]:
        return self.rows

    def fetchone(self) -> dict[str, Any] | None:
        return self.rows[0] if self.rows else None


class RecordedAccount:
    """The engine, its connections and their cursors at once: one account, one log."""

    def __init__(self, recording: Path):
        recorded = json.loads(recording.read_text())
        self.answers: dict[str, list[dict[str, Any]]] = {_normal(k): v for k, v in recorded.items() if k != "_"}
        self.sent: list[str] = []  # statements that change the account, in order
        self.reads: list[str] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> RecordedAccount:
        engine = SimpleNamespace(create_engine=lambda url, **options: self)
        monkeypatch.setattr("permifrost.snowflake_connector.sqlalchemy", engine)
        return self

    def execute(self, sql: str) -> _Result:
        if sql.startswith(_READS):
            if _normal(sql) not in self.answers:
                raise AssertionError(f"the recorded account has no answer to: {sql}")
            self.reads.append(sql)
            return _Result(self.answers[_normal(sql)])
        self.sent.append(sql)
        if created := _CREATE_USER.match(sql):  # SHOW USERS lists it from now on, as Snowflake would
            self.answers["SHOW USERS"].append({"name": created[1], "login_name": created[1].upper()})
        return _Result([])

    # SQLAlchemy's engine and connection, as permifrost uses them
    def connect(self) -> RecordedAccount:
        return self

    def __enter__(self) -> RecordedAccount:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    # the DB-API connection and cursor under it (services.permifrost creates users through these)
    def raw_connection(self) -> RecordedAccount:
        return self

    def cursor(self) -> RecordedAccount:
        return self

    def close(self) -> None:
        return None
