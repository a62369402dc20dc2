"""The embedded warehouse's sessions share one DuckDB instance per process, and behave as if each had its own: a
process holds the files' lock only while a session is open, settings do not outlive the sessions that changed them,
and a forked child (Luigi's workers) opens its own instance."""

from __future__ import annotations

import gc
import multiprocessing
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from targets.warehouse import duckdb_instance
from targets.warehouse.connect import connect
from tests.conftest import Settings


def other_process_writes(raw: Path) -> str:
    """What a separate process gets when it opens the raw database file for writing."""
    script = (
        "import sys, duckdb\n"
        "try:\n"
        "    duckdb.connect(sys.argv[1]).execute('CREATE OR REPLACE TABLE other_process AS SELECT 1 AS x')\n"
        "    print('wrote')\n"
        "except duckdb.IOException as exc:\n"
        "    print('locked' if 'lock' in str(exc).lower() else exc)\n"
    )
    return subprocess.run([sys.executable, "-c", script, str(raw)], capture_output=True, text=True, check=True).stdout


def test_the_files_are_locked_while_a_session_is_open_and_written_when_the_last_closes(env: Path) -> None:
    raw = env / "warehouse" / "raw.duckdb"
    first, second = connect("test"), connect("test")
    first.execute("CREATE TABLE raw.main.t AS SELECT 1 AS x")
    second.execute("INSERT INTO raw.main.t VALUES (2)")
    first.close()
    assert other_process_writes(raw).strip() == "locked"  # the second session still holds the files
    second.close()
    assert not raw.with_name("raw.duckdb.wal").exists()  # checkpointed at the detach, as at an instance's close
    assert other_process_writes(raw).strip() == "wrote"
    with connect("test") as again:
        assert again.execute("SELECT sum(x) FROM raw.main.t") == [(3,)]


def test_a_session_dropped_unclosed_releases_the_files(env: Path) -> None:
    session = connect("test")
    session.execute("CREATE TABLE raw.main.t AS SELECT 1 AS x")
    del session
    gc.collect()
    assert other_process_writes(env / "warehouse" / "raw.duckdb").strip() == "wrote"


@pytest.mark.timeout(60)
def test_a_session_the_garbage_collector_frees_while_the_instance_is_busy_is_given_back_after(env: Path) -> None:
    session = connect("test")
    session.execute("CREATE TABLE raw.main.t AS SELECT 1 AS x")
    session.itself = session  # type: ignore[attr-defined] - a cycle: only the collector frees it
    del session
    with duckdb_instance._shared.lock:  # as when a collection runs inside another session's acquire
        gc.collect()
    with connect("test") as another:  # whoever holds the lock next takes it back
        assert another.execute("SELECT x FROM raw.main.t") == [(1,)]
    assert other_process_writes(env / "warehouse" / "raw.duckdb").strip() == "wrote"


def test_sessions_in_turn_share_the_instance(env: Path) -> None:
    with connect("test") as first:
        first.execute("CREATE MACRO memory.main.shared_instance() AS 42")  # the instance's own in-memory catalog
    with connect("test") as second:
        assert second.execute("SELECT memory.main.shared_instance()") == [(42,)]


def test_settings_a_session_changed_are_reset_when_it_closes(env: Path) -> None:
    defaults = "SELECT current_setting('checkpoint_threshold'), current_setting('preserve_insertion_order')"
    with connect("test") as plain:
        before = plain.execute(defaults)
    with connect("test") as merging:
        merging.prepare_merge(compact=False)
        assert merging.execute(defaults) == [("0 bytes", False)]
    with connect("test") as after:
        assert after.execute(defaults) == before
        assert after.execute("SELECT current_setting('max_vacuum_tasks')") != [(0,)]


def test_a_session_on_another_folder_gets_its_own_instance(env: Path, settings: Settings) -> None:
    with connect("test") as here:
        here.execute("CREATE TABLE raw.main.t AS SELECT 'here' AS x")
        settings.set("warehouse", "duckdb_dir", env / "elsewhere")
        with connect("test") as there:
            there.execute("CREATE TABLE raw.main.t AS SELECT 'there' AS x")
            assert there.execute("SELECT x FROM raw.main.t") == [("there",)]
        assert here.execute("SELECT x FROM raw.main.t") == [("here",)]
    assert duckdb.connect(str(env / "elsewhere" / "raw.duckdb")).execute("SELECT x FROM t").fetchall() == [("there",)]


def test_sessions_in_threads_write_side_by_side(env: Path) -> None:
    with connect("test") as s:
        s.execute("CREATE TABLE raw.main.t (x INTEGER)")

    def write(x: int) -> None:
        for _ in range(20):
            with connect("test") as s:
                s.execute("INSERT INTO raw.main.t VALUES (?)", (x,))

    threads = [threading.Thread(target=write, args=(x,)) for x in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with connect("test") as s:
        assert s.execute("SELECT x, count(*) FROM raw.main.t GROUP BY x ORDER BY x") == [(x, 20) for x in range(4)]
    assert other_process_writes(env / "warehouse" / "raw.duckdb").strip() == "wrote"


def _child_writes(queue: multiprocessing.Queue) -> None:
    with connect("test") as s:
        s.execute("INSERT INTO raw.main.t VALUES ('child')")
        queue.put(s.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = 'parent_instance'")[0][0])


@pytest.mark.timeout(120)
def test_a_forked_child_opens_its_own_instance(env: Path) -> None:
    """The parent's instance is not the child's: its threads and locks were not copied in a usable state."""
    with connect("test") as s:
        s.execute("CREATE TABLE raw.main.t AS SELECT 'parent' AS x")
        s.execute("CREATE MACRO memory.main.parent_instance() AS 1")
    fork = multiprocessing.get_context("fork")
    queue = fork.Queue()
    child = fork.Process(target=_child_writes, args=(queue,))
    child.start()
    assert queue.get(timeout=60) == 0
    child.join(60)
    assert child.exitcode == 0
    with connect("test") as s:
        assert s.execute("SELECT x FROM raw.main.t ORDER BY x") == [("child",), ("parent",)]
