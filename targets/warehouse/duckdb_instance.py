"""The process's DuckDB instance, which the embedded warehouse's sessions share.

Starting a DuckDB instance costs some 12 ms and closing it some 6 (it registers, then frees, every built-in
function): more than most statements a task sends, and a task opens a session or more. So a session is a
connection (a cursor) on one in-memory instance per process. The instance attaches the warehouse files when its
first session opens and detaches them when its last one closes: a process holds the files' lock only while it uses
them, as with an instance per session. Settings are instance-wide in DuckDB, so those a session changed are reset
at the detach too.

An instance is not carried across a fork (Luigi's workers run each task in a forked process): an idle one is closed
before the fork, and a child never touches its parent's.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path

import duckdb

from targets import identifiers

logger = logging.getLogger("bizops.warehouse")


def literal(value: str) -> str:
    """A DuckDB string literal (for what takes no bind parameters: ATTACH's path, the CSV reader's options)."""
    return "'" + value.replace("'", "''") + "'"


def _attach(base: duckdb.DuckDBPyConnection, dbdir: Path, databases: Sequence[str], timeout: float) -> None:
    """One writing process per DuckDB file: wait for another process's lock instead of failing, holding none of
    the files meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        attached: list[str] = []
        try:
            for name in databases:
                identifiers.check(name, 1)
                base.execute(f"ATTACH {literal(str(dbdir / f'{name}.duckdb'))} AS {name}")
                attached.append(name)
            return
        except duckdb.IOException as exc:
            for name in attached:
                base.execute(f"DETACH {name}")
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.05, 0.3))


class _Shared:
    """The instance, the files it has attached and how many sessions use them."""

    def __init__(self) -> None:
        self._start()

    def _start(self) -> None:
        self.lock = threading.Lock()
        self.base: duckdb.DuckDBPyConnection | None = None
        self.files: tuple[Path, tuple[str, ...]] | None = None
        self.users = 0
        self.changed: set[str] = set()  # settings to reset when the files are detached
        self.returned: list[tuple[duckdb.DuckDBPyConnection, set[str]]] = []  # cursors given back, not yet closed

    def acquire(self, files: tuple[Path, tuple[str, ...]], timeout: float) -> duckdb.DuckDBPyConnection | None:
        """A cursor on the instance with ``files`` attached; None while it has others attached for another session
        (another warehouse folder in this process), whose lock this one must not share."""
        try:
            with self.lock:
                self._take_back()
                if self.users and self.files != files:
                    return None
                if self.base is None:
                    self.base = duckdb.connect(":memory:")
                if not self.users:
                    _attach(self.base, *files, timeout)
                    self.files = files
                self.users += 1
                return self.base.cursor()
        finally:
            self._settle()

    def release(self, pid: int, con: duckdb.DuckDBPyConnection, changed: set[str]) -> None:
        """Give back a cursor ``acquire`` handed to process ``pid``; the last one detaches the files."""
        if pid != os.getpid():  # a parent's session, dropped in a forked child: not this process's to close
            return
        self.returned.append((con, changed))
        self._settle()

    def _settle(self) -> None:
        """Take back the returned cursors, never waiting for the lock: the garbage collector gives back a session
        dropped unclosed, and may do so in the thread that holds the lock, which settles once it lets go."""
        while self.returned and self.lock.acquire(blocking=False):
            try:
                self._take_back()
            finally:
                self.lock.release()

    def _take_back(self) -> None:
        while self.returned:
            con, changed = self.returned.pop()
            con.close()
            self.changed |= changed
            self.users -= 1
        if self.users or self.base is None or self.files is None:
            return
        try:
            for name in self.files[1]:
                self.base.execute(f"DETACH {name}")  # checkpoints it, as closing an instance does
            for setting in sorted(self.changed):
                self.base.execute(f"RESET {setting}")
        except duckdb.Error as exc:
            # Committed work is in the files' write-ahead logs whether or not the checkpoint ran (closing an
            # instance ignores such errors too). An instance a fatal error invalidated is not used again.
            logger.warning("closing the DuckDB instance after an error detaching the warehouse: %s", exc)
            self._close()
        finally:
            self.files, self.changed = None, set()

    def _close(self) -> None:
        if self.base is not None:
            self.base.close()
            self.base = None

    def before_fork(self) -> None:
        self.lock.acquire()
        self._take_back()
        if not self.users:
            self._close()

    def after_fork_in_parent(self) -> None:
        self.lock.release()
        self._settle()

    def after_fork_in_child(self) -> None:
        """A parent's instance that a session still used stays as it is (its threads are not in this process:
        closing it would wait for them forever); this process starts its own."""
        if self.base is not None:
            _inherited.append(self.base)
        self._start()


_inherited: list[duckdb.DuckDBPyConnection] = []
_shared = _Shared()
os.register_at_fork(
    before=_shared.before_fork,
    after_in_parent=_shared.after_fork_in_parent,
    after_in_child=_shared.after_fork_in_child,
)


class Connection:
    """A session's connection: a cursor on the shared instance or, while that has another folder's files
    attached, an instance of its own. Released on ``close()``, or when dropped unclosed."""

    def __init__(self, dbdir: Path, databases: Sequence[str], timeout: float):
        files = (dbdir, tuple(databases))
        self.changed: set[str] = set()  # settings the session changed, reset with the instance's
        cursor = _shared.acquire(files, timeout)
        if cursor is None:
            self.con = duckdb.connect(":memory:")
            self._release = weakref.finalize(self, self.con.close)
            _attach(self.con, *files, timeout)
        else:
            self.con = cursor
            self._release = weakref.finalize(self, _shared.release, os.getpid(), cursor, self.changed)
        self.con.execute("SET TimeZone = 'UTC'")

    def close(self) -> None:
        self._release()
