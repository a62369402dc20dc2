"""What this process knows of its marker tables: one snapshot per table, read whole.

``exists()`` reads a table once and re-reads it on a miss at most every ``[warehouse] marker_refresh_seconds``;
markers this process writes or deletes update its snapshot at once. The cache lives as long as the process:
Luigi forks a worker process per task when ``workers > 1``, and a fork starts with an empty cache, so it reads
the markers its siblings wrote. Code that changes markers behind the process's back (another process, a test)
calls ``SNAPSHOTS.clear()``.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config.settings import warehouse
from targets.markers.stores import MarkerStore


@dataclass(frozen=True)
class Marker:
    update_id: str
    target_table: str
    inserted: datetime
    row_count: int | None


class Snapshot:
    """The markers of one store's table, as last read."""

    def __init__(self, store: MarkerStore):
        self.store = store
        self.table = store.table()
        self.rows: dict[str, Marker] = {}
        self.read_at = float("-inf")
        self.table_exists = False  # known to exist: read (a read ensures it) or ensured by this process
        # What a provisional marker's sources answered (``MarkerTarget.changed``), by update id, with the marker time
        # it was asked for: asked again once the marker is rewritten, and gone with the snapshot.
        self.changed: dict[str, tuple[datetime, bool]] = {}
        self.lock = threading.Lock()

    def refresh(self) -> None:
        rows = self.store.read()
        self.rows = {r[0]: Marker(*r) for r in rows}
        self.read_at = time.monotonic()
        self.table_exists = True

    def get(self, update_id: str) -> Marker | None:
        with self.lock:
            found = self.rows.get(update_id)
            if found is None and time.monotonic() - self.read_at > warehouse().marker_refresh_seconds:
                self.refresh()
                found = self.rows.get(update_id)
            return found

    def ensure_table(self, session: Any) -> None:
        """Ensure the marker table if this process has not seen it yet (``MarkerStore.ensure``)."""
        if not self.table_exists:
            self.store.ensure(session)
            self.table_exists = True


class Snapshots:
    """Every snapshot of this process, by store."""

    def __init__(self) -> None:
        self._pid = os.getpid()
        self._by_store: dict[str, Snapshot] = {}

    def of(self, store: MarkerStore) -> Snapshot:
        if os.getpid() != self._pid:  # a forked worker: its parent's snapshots are not its own
            self._pid, self._by_store = os.getpid(), {}
        key = store.key()
        if key not in self._by_store:
            self._by_store[key] = Snapshot(store)
        return self._by_store[key]

    def clear(self) -> None:
        """Forget every snapshot: the next ``exists()`` reads its table again."""
        self._by_store.clear()


SNAPSHOTS = Snapshots()
