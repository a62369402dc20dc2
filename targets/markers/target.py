"""The marker target: each completed partition of a task is one row in a marker table - the warehouse's by
default, or another database's through a ``MarkerStore`` (e.g. the Postgres jobs' table beside their data).

``exists()`` is answered from the process's snapshot of the marker table (``targets.markers.snapshots``),
never one query per task; a provisional marker (below) also asks, once per process, whether its partition's sources
hold anything new. The target makes its table when it is first written (``prepare``).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

import luigi

from targets.markers.snapshots import SNAPSHOTS, Marker
from targets.markers.stores import WAREHOUSE, MarkerStore
from targets.warehouse.session import Session


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


class MarkerTarget(luigi.Target):
    """Complete when its marker row exists. For a partition that can still change until ``settles_at`` (a day whose
    files may land late), a marker written before then is provisional: until that moment it completes the partition
    while ``changed`` finds nothing new in its sources (asked once per process and marker); afterwards it completes
    nothing, so one more run builds the partition as it finally is and writes the final marker."""

    def __init__(
        self,
        update_id: str,
        target_table: str,
        settles_at: datetime | None = None,
        store: MarkerStore = WAREHOUSE,
        changed: Callable[[], bool] | None = None,
    ):
        self.update_id = update_id
        self.target_table = target_table
        self.settles_at = settles_at
        self.store = store
        self.changed = changed  # None: a provisional marker completes nothing

    def __repr__(self) -> str:
        return f"MarkerTarget({self.update_id})"

    def marker(self) -> Marker | None:
        return SNAPSHOTS.of(self.store).get(self.update_id)

    def exists(self) -> bool:
        found = self.marker()
        if found is None:
            return False
        if self.settles_at is None or found.inserted >= self.settles_at:
            return True
        return utcnow() < self.settles_at and self.changed is not None and not self._changed_since(found)

    def _changed_since(self, found: Marker) -> bool:
        known = SNAPSHOTS.of(self.store).changed
        answer = known.get(self.update_id)
        if answer is None or answer[0] != found.inserted:
            answer = known[self.update_id] = (found.inserted, self.changed())
        return answer[1]

    def prepare(self, session: Session) -> None:
        """Make sure the marker table exists before ``write``; outside transactions (once per process)."""
        SNAPSHOTS.of(self.store).ensure_table(session)

    def write(self, session: Session, row_count: int | None, at: datetime | None = None) -> None:
        """Record completion; call inside the transaction that holds the data (or after it, when the
        load is replayable). The process snapshot learns it at once. ``session`` is one of the store's
        database (a warehouse Session for the default store). Markers written together share ``at``, so
        none looks older than another of the same batch."""
        snap = SNAPSHOTS.of(self.store)
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
    snap = SNAPSHOTS.of(store)
    table = snap.table
    marks = ", ".join(store.placeholder for _ in update_ids)
    existing = session.execute(f"SELECT count(*) FROM {table} WHERE update_id IN ({marks})", update_ids)[0][0]
    session.execute(f"DELETE FROM {table} WHERE update_id IN ({marks})", update_ids)
    for uid in update_ids:
        snap.rows.pop(uid, None)
    return int(existing)
