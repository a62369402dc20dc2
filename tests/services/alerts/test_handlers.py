"""Failure alerts (services.alerts.handlers): real luigi runs posting one alert per failed task and kind of event to
a real HTTP server on 127.0.0.1 that stands in for Mattermost (conftest.py)."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

import luigi
import pytest
from luigi.execution_summary import LuigiStatusCode

from services.alerts.messages import FOOTER_LIMIT, RED
from tests.conftest import Settings, build
from tests.services.alerts.conftest import (
    AlertsBrokenRequires,
    AlertsFailing,
    AlertsMissingData,
    FakeMattermost,
    NeverComplete,
)


def fields(attachment: dict[str, Any]) -> dict[str, str]:
    return {field["title"]: field["value"] for field in attachment["fields"]}


# --- tasks ------------------------------------------------------------------------------------------------------


class AlertsCompleteRaises(luigi.Task):
    def complete(self) -> bool:
        raise ConnectionError("marker table unreachable")


class AlertsSleeps(NeverComplete):
    worker_timeout = 0.5

    def run(self) -> None:
        time.sleep(30)


class AlertsDies(NeverComplete):
    def run(self) -> None:
        os._exit(7)


# --- one alert per event kind -----------------------------------------------------------------------------------


@pytest.mark.parametrize("multiprocessing", [False, True], ids=["in-process", "forked-child"])
def test_failure_alert(mattermost: FakeMattermost, settings: Settings, multiprocessing: bool) -> None:
    settings.set("worker", "force_multiprocessing", str(multiprocessing).lower())
    settings.set("alerts", "log_url", "https://logs.example/{family}?task={task_id}&host={host}")
    task = AlertsFailing()

    result = build(task, detailed_summary=True)

    assert result.status == LuigiStatusCode.FAILED
    [request] = mattermost.requests
    assert request["content_type"] == "application/json"
    [payload] = mattermost.payloads()
    assert payload["username"] == "Luigi"
    assert payload["text"] == ":red_circle: **AlertsFailing** failed: ValueError: load failed: 3 files rejected"
    [attachment] = payload["attachments"]
    assert attachment["color"] == RED
    assert attachment["title"] == "AlertsFailing: run() failed"
    assert attachment["title_link"].endswith(f"#tab=tasks&taskId={task.task_id}")
    assert attachment["text"].startswith("```\nTraceback (most recent call last):")
    assert "second line of detail\n```" in attachment["text"]
    got = fields(attachment)
    assert got["Family"] == "AlertsFailing"
    assert got["Event"] == "run() failed"
    assert got["Exception"] == "ValueError"
    assert got["Parameters"] == "day=2020-01-15"
    assert got["Task id"] == task.task_id
    assert got["Host / pod"] == (os.environ.get("HOSTNAME") or socket.gethostname())
    assert got["Attempt"].startswith("run cron-20200115-0300, pid ")
    # FAILURE handlers run where the task runs: in a forked child under multiprocessing.
    assert (got["Attempt"] == f"run cron-20200115-0300, pid {os.getpid()}") is not multiprocessing
    assert got["Duration"].endswith(" s")
    assert f"[Logs](https://logs.example/AlertsFailing?task={task.task_id}&host=" in got["Links"]
    assert len(attachment["footer"]) <= FOOTER_LIMIT


def test_broken_task_alert(mattermost: FakeMattermost) -> None:
    assert build(AlertsBrokenRequires(), detailed_summary=True).status == LuigiStatusCode.SCHEDULING_FAILED
    [payload] = mattermost.payloads()
    assert payload["text"] == ":red_circle: **AlertsBrokenRequires** failed: RuntimeError: requires exploded"
    [attachment] = payload["attachments"]
    assert fields(attachment)["Event"] == "not scheduled: requires()/deps() raised"
    assert "in requires" in attachment["text"]


def test_dependency_missing_alert_when_complete_raises(mattermost: FakeMattermost) -> None:
    assert build(AlertsCompleteRaises(), detailed_summary=True).status == LuigiStatusCode.SCHEDULING_FAILED
    [payload] = mattermost.payloads()
    assert payload["text"] == ":red_circle: **AlertsCompleteRaises** failed: ConnectionError: marker table unreachable"
    [attachment] = payload["attachments"]
    assert fields(attachment)["Event"] == "not scheduled: complete() raised"
    assert "in complete" in attachment["text"]  # luigi's own traceback of complete()


def test_missing_external_data_is_no_failure_alert(mattermost: FakeMattermost) -> None:
    assert build(AlertsMissingData(), detailed_summary=True).status == LuigiStatusCode.MISSING_EXT
    assert mattermost.requests == []


def test_timeout_alert(mattermost: FakeMattermost, settings: Settings) -> None:
    settings.set("worker", "force_multiprocessing", "true")
    started = time.monotonic()

    assert build(AlertsSleeps(), workers=1, detailed_summary=True).status == LuigiStatusCode.FAILED

    assert time.monotonic() - started < 10
    [payload] = mattermost.payloads()  # the killed child posts nothing: TIMEOUT fires in the parent
    assert payload["text"].startswith(":red_circle: **AlertsSleeps** failed: WorkerTimeout: Task AlertsSleeps")
    assert "timed out after 0.5 seconds" in payload["text"]
    got = fields(payload["attachments"][0])
    assert got["Event"] == "timed out"
    assert got["Duration"] == "0.5 s"


def test_process_failure_alert(mattermost: FakeMattermost, settings: Settings) -> None:
    settings.set("worker", "force_multiprocessing", "true")

    assert build(AlertsDies(), workers=1, detailed_summary=True).status == LuigiStatusCode.FAILED

    [payload] = mattermost.payloads()
    assert payload["text"].startswith(":red_circle: **AlertsDies** failed: ProcessDied: Task AlertsDies")
    assert payload["text"].endswith("died unexpectedly with exit code 7")
    assert fields(payload["attachments"][0])["Event"] == "worker process died"
