"""Marker stores: the Postgres jobs' markers in their own database (a real PostgreSQL), read once per process."""

from __future__ import annotations

from targets.markers.snapshots import SNAPSHOTS
from targets.markers.stores import POSTGRES_MARKERS
from targets.markers.target import MarkerTarget, delete_markers
from targets.postgres.session import PgSession
from tests.conftest import pg_query as query


def test_markers_can_live_in_postgres_with_one_query_per_process(orgm):
    target = MarkerTarget("pg-x/2026-11-25T13/v1", "pg-x", store=POSTGRES_MARKERS)
    assert not target.exists()
    with PgSession("test") as pg:
        POSTGRES_MARKERS.ensure(pg)
        with pg.transaction():
            target.write(pg, 7)
    SNAPSHOTS.clear()
    assert target.exists()
    assert SNAPSHOTS.of(POSTGRES_MARKERS).get(target.update_id).row_count == 7
    assert query(orgm["dsn"], "SELECT update_id, target_table, row_count FROM staging.table_updates") == [
        ("pg-x/2026-11-25T13/v1", "pg-x", 7)
    ]
    with PgSession("ops") as pg, pg.transaction():
        assert delete_markers(pg, [target.update_id], store=POSTGRES_MARKERS) == 1
    assert not target.exists()
