"""Marker-table targets: each completed partition of a task is one row in a marker table - the warehouse's
by default, or another database's through a ``MarkerStore`` (e.g. the Postgres jobs' table beside their data).

``exists()`` is answered from one snapshot of the marker table per process (re-read on a miss at most
every ``[warehouse] marker_refresh_seconds``), never one query per task. The snapshot is keyed by pid:
a worker forked by Luigi starts with none, so it sees markers written by its siblings.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import luigi

from config.settings import warehouse
from targets import identifiers
from targets.warehouse import Session, available_profile, connect

MARKER_COLUMNS = (
    ("update_id", "VARCHAR"),
    ("target_table", "VARCHAR"),
    ("inserted", "TIMESTAMP"),
    ("run_id", "VARCHAR"),
    ("row_count", "BIGINT"),
    ("code_version", "VARCHAR"),
)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@lru_cache(maxsize=1)
def code_version() -> str:
    """The deployed commit (BIZOPS_CODE_VERSION in the image), else the checkout's, else 'unknown'."""
    if version := os.environ.get("BIZOPS_CODE_VERSION"):
        return version
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def run_id() -> str:
    """One id per invocation: the CronJob's pod name in production, else host and pid."""
    return os.environ.get("BIZOPS_RUN_ID") or f"{os.uname().nodename}:{os.getpid()}"


@dataclass(frozen=True)
class Marker:
    update_id: str
    target_table: str
    inserted: datetime
    row_count: int | None


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
        """Every marker as (update_id, target_table, inserted, row_count); creates the table if missing."""
        raise NotImplementedError

    def ensure(self, session: Any) -> None:
        """Create the marker table if missing; DDL, outside transactions."""
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


class _Snapshot:
    def __init__(self, table: str, store: MarkerStore = WAREHOUSE):
        self.table = table
        self.store = store
        self.rows: dict[str, Marker] = {}
        self.read_at = float("-inf")
        self.lock = threading.Lock()

    def refresh(self) -> None:
        rows = self.store.read()
        self.rows = {r[0]: Marker(*r) for r in rows}
        self.read_at = time.monotonic()

    def get(self, update_id: str) -> Marker | None:
        with self.lock:
            found = self.rows.get(update_id)
            if found is None and time.monotonic() - self.read_at > warehouse().marker_refresh_seconds:
                self.refresh()
                found = self.rows.get(update_id)
            return found


_snapshots: dict[tuple[int, str], _Snapshot] = {}


def marker_table() -> str:
    return identifiers.check(warehouse().marker_table, 3)


def snapshot(store: MarkerStore = WAREHOUSE) -> _Snapshot:
    key = (os.getpid(), store.key())
    if key not in _snapshots:
        _snapshots[key] = _Snapshot(store.table(), store)
    return _snapshots[key]


def forget_snapshots() -> None:
    """Drop every snapshot of this process (after markers were changed behind its back, e.g. by ops)."""
    _snapshots.clear()


class MarkerTarget(luigi.Target):
    """Complete when its marker row exists - and, for a partition whose files may still land late,
    when that row was written after ``settles_at`` (until then each run picks up what arrived)."""

    def __init__(
        self, update_id: str, target_table: str, settles_at: datetime | None = None, store: MarkerStore = WAREHOUSE
    ):
        self.update_id = update_id
        self.target_table = target_table
        self.settles_at = settles_at
        self.store = store

    def __repr__(self) -> str:
        return f"MarkerTarget({self.update_id})"

    def marker(self) -> Marker | None:
        return snapshot(self.store).get(self.update_id)

    def exists(self) -> bool:
        found = self.marker()
        return found is not None and (self.settles_at is None or found.inserted >= self.settles_at)

    def write(self, session: Session, row_count: int | None, at: datetime | None = None) -> None:
        """Record completion; call inside the transaction that holds the data (or after it, when the
        load is replayable). The process snapshot learns it at once. ``session`` is one of the store's
        database (a warehouse Session for the default store). Markers written together share ``at``, so
        none looks older than another of the same batch."""
        snap = snapshot(self.store)
        table, p = snap.table, self.store.placeholder
        now = at or utcnow()
        session.execute(f"DELETE FROM {table} WHERE update_id = {p}", (self.update_id,))
        session.execute(
            f"INSERT INTO {table} (update_id, target_table, inserted, run_id, row_count, code_version) "
            f"VALUES ({', '.join([p] * 6)})",
            (self.update_id, self.target_table, now, run_id(), row_count, code_version()),
        )
        snap.rows[self.update_id] = Marker(self.update_id, self.target_table, now, row_count)


def delete_markers(session: Session, update_ids: list[str], store: MarkerStore = WAREHOUSE) -> int:
    """Remove markers so the next run redoes exactly those partitions (the ops 'invalidate'). DML only:
    call it inside the caller's transaction, the marker table existing."""
    if not update_ids:
        return 0
    snap = snapshot(store)
    table = snap.table
    marks = ", ".join(store.placeholder for _ in update_ids)
    existing = session.execute(f"SELECT count(*) FROM {table} WHERE update_id IN ({marks})", update_ids)[0][0]
    session.execute(f"DELETE FROM {table} WHERE update_id IN ({marks})", update_ids)
    for uid in update_ids:
        snap.rows.pop(uid, None)
    return int(existing)
