"""Where marker tables live: the warehouse's (the default) and the Postgres-side jobs' beside their data.

A store reads every marker of its table at once (the snapshot's refresh) and opens sessions on its database
for ``MarkerTarget.write`` and ``delete_markers``.
"""

from __future__ import annotations

from typing import Any

from config.settings import postgres as postgres_settings
from config.settings import warehouse
from targets import identifiers
from targets.postgres.session import PgSession, dsn, quote, split_name
from targets.warehouse.connect import available_profile, connect
from targets.warehouse.session import Session

MARKER_COLUMNS = (
    ("update_id", "VARCHAR"),
    ("target_table", "VARCHAR"),
    ("inserted", "TIMESTAMP"),
    ("run_id", "VARCHAR"),
    ("row_count", "BIGINT"),
    ("code_version", "VARCHAR"),
)


class MarkerStore:
    """Where a marker table lives. The session given to ``MarkerTarget.write`` and ``delete_markers`` is one
    of the store's database: ``execute(sql, params)`` with ``placeholder`` marks, and ``ensure_table``."""

    placeholder = "?"

    def table(self) -> str:
        raise NotImplementedError

    def key(self) -> str:
        """Identifies the table among every store of the process (the snapshot cache key)."""
        return self.table()

    def read(self) -> list[tuple]:
        """Every marker as (update_id, target_table, inserted, row_count); the table ensured first."""
        raise NotImplementedError

    def ensure(self, session: Any) -> None:
        """Make sure the marker table exists (created if missing; on Snowflake checked, the bootstrap makes it);
        outside transactions."""
        session.ensure_table(self.table(), MARKER_COLUMNS)

    def connect(self, tag: str) -> Any:
        """A session on the store's database (a context manager with transaction())."""
        raise NotImplementedError


class WarehouseMarkers(MarkerStore):
    """The warehouse's marker table, [warehouse] marker_table (the default store)."""

    def table(self) -> str:
        return marker_table()

    def read(self) -> list[tuple]:
        table = self.table()
        with connect(f"markers:{table}", available_profile()) as session:
            session.ensure_table(table, MARKER_COLUMNS)
            return session.execute(f"SELECT update_id, target_table, inserted, row_count FROM {table}")

    def connect(self, tag: str) -> Session:
        return connect(tag, available_profile())


WAREHOUSE = WarehouseMarkers()


def marker_table() -> str:
    return identifiers.check(warehouse().marker_table, 3)


class PostgresMarkers(MarkerStore):
    """The marker table of the Postgres-side jobs ([postgres] marker_table), beside the data they change."""

    placeholder = "%s"

    def table(self) -> str:
        split_name(postgres_settings().marker_table)
        return postgres_settings().marker_table

    def key(self) -> str:
        return f"postgres:{dsn()}:{self.table()}"

    def read(self) -> list[tuple]:
        table = self.table()
        with PgSession(f"markers:{table}") as pg:
            pg.ensure_table(table, MARKER_COLUMNS)
            return pg.execute(f"SELECT update_id, target_table, inserted, row_count FROM {quote(table)}")

    def ensure(self, session: Any) -> None:
        session.ensure_table(self.table(), MARKER_COLUMNS)

    def connect(self, tag: str) -> PgSession:
        return PgSession(tag)


POSTGRES_MARKERS = PostgresMarkers()
