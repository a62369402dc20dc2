"""A real central scheduler: a failing task reaches luigid, `luigi` exits non-zero, and the retry policy of
luigi.cfg holds across cron invocations (a disabled task is not attempted again)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, wait_until_up


@pytest.fixture
def luigid(tmp_path: Path) -> Iterator[int]:
    """luigid with the project's luigi.cfg (its [scheduler] retry policy), state in a temp folder."""
    port = free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "luigid"), "--port", str(port), "--address", "127.0.0.1",
         "--state-path", str(tmp_path / "state.pickle"), "--logdir", str(tmp_path)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    page = f"http://127.0.0.1:{port}/static/visualiser/index.html"
    wait_until_up(proc, lambda: urllib.request.urlopen(page, timeout=1), "luigid")
    yield port
    proc.terminate()
    proc.wait(10)


def invoke(port: int, attempts: Path) -> int:
    """One cron invocation against the central scheduler, with the project's luigi.cfg ([retcode])."""
    return subprocess.run(
        [sys.executable, "-m", "luigi", "--module", "tests.luigi_fixtures", "AlwaysFails",
         "--attempts-file", str(attempts), "--scheduler-host", "127.0.0.1", "--scheduler-port", str(port)],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, timeout=120,
    ).returncode  # fmt: skip


def task_list(port: int, status: str) -> dict:
    query = urllib.parse.quote(json.dumps({"status": status}))
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/task_list?data={query}", timeout=5) as r:
        return json.load(r)["response"]


def test_failures_reach_luigid_exit_non_zero_and_the_retry_policy_holds_across_invocations(luigid, tmp_path):
    attempts = tmp_path / "attempts"
    assert invoke(luigid, attempts) == 30  # [retcode] task_failed
    failed = task_list(luigid, "FAILED")
    assert any(t.startswith("AlwaysFails") for t in failed)
    codes = [invoke(luigid, attempts) for _ in range(3)]
    # luigi.cfg: retry_count = 3 failures within the window disable the task; the next run does not attempt it
    assert codes == [30, 30, 25]
    assert len(attempts.read_text().splitlines()) == 3
    assert any(t.startswith("AlwaysFails") for t in task_list(luigid, "DISABLED"))
