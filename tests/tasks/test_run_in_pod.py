"""RunInPod (tasks.run_in_pod): a heavy task runs in-process unless pods are enabled and it is not inside its own
pod yet. Its Job pod itself is the Job runner's (tests/services/test_jobs.py)."""

from __future__ import annotations

from typing import Any

import pytest

from services.jobs import TASK_POD_ENV
from tests.conftest import CRUNCH_JOB as JOB
from tests.conftest import CRUNCHED as DONE
from tests.conftest import crunch_numbers as task


def test_runs_in_process_unless_enabled_and_inside_its_own_pod(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    DONE.clear()
    settings.set("kubernetes", "run_in_pods", "false")
    task().run()
    settings.set("kubernetes", "run_in_pods", "true")
    settings.set("kubernetes", "api_url", "http://127.0.0.1:9")  # would fail if it were called
    monkeypatch.setenv(TASK_POD_ENV, JOB)
    task().run()
    assert [task().task_id] * 2 == DONE
    DONE.clear()
