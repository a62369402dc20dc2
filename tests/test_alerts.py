"""Failure alerts: real luigi runs posting to a real HTTP server on 127.0.0.1 that stands in for Mattermost.

The server lives in the test process; under multiprocessing the FAILURE handler runs in the task's forked child
and reaches it by URL, like the real webhook.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import luigi
import luigi.configuration
import luigi.retcodes
import pytest
from luigi.contrib.external_program import ExternalProgramTask
from luigi.execution_summary import LuigiStatusCode

from ops import alerts
from tests.conftest import Settings

HOOK_ID = "xk3hook9secret4id"  # the URL is a secret: it must never show up in logs
SECRET = "Sn0wflake-Pa55-7f3a9c"
CANARY = "canary-value-5d1e"  # an unregistered, innocent-looking variable: visible only if the env dump leaks

LEAKY_SCRIPT = "echo $SNOWFLAKE_TRANSFORM_PASSWORD; echo failing with $SNOWFLAKE_TRANSFORM_PASSWORD >&2; exit 3"

# --- the fake Mattermost ----------------------------------------------------------------------------------------


class FakeMattermost(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # scripted answers, then 200
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/hooks/{HOOK_ID}"

    def payloads(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(request["body"]) for request in self.requests]

    def raw(self) -> str:
        with self.lock:
            return "\n".join(request["body"] for request in self.requests)


class _Handler(BaseHTTPRequestHandler):
    server: FakeMattermost

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        with self.server.lock:
            self.server.requests.append({"path": self.path, "content_type": self.headers["Content-Type"], "body": body})
            status = self.server.statuses.pop(0) if self.server.statuses else 200
        answer = b"ok" if status == 200 else b'{"message": "scripted failure"}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
        pass


@pytest.fixture
def mattermost(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMattermost]:
    server = FakeMattermost()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("MATTERMOST_WEBHOOK_URL", server.url)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def fast(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.set("alerts", "timeout_seconds", "2")
    settings.set("alerts", "retries", "2")
    settings.set("alerts", "backoff_seconds", "0.01")
    settings.set("worker", "wait_interval", "0.1")
    settings.set("retcode", "task_failed", "30")
    settings.set("retcode", "missing_data", "20")
    settings.set("retcode", "unhandled_exception", "40")
    monkeypatch.setenv("BIZOPS_RUN_ID", "cron-20200115-0300")


def fields(attachment: dict[str, Any]) -> dict[str, str]:
    return {field["title"]: field["value"] for field in attachment["fields"]}


def build(*tasks: luigi.Task, **env: Any) -> Any:
    return luigi.build(list(tasks), local_scheduler=True, detailed_summary=True, **env)


# --- tasks ------------------------------------------------------------------------------------------------------


class _NeverComplete(luigi.Task):
    def complete(self) -> bool:
        return False


class AlertsFailing(_NeverComplete):
    day = luigi.Parameter(default="2020-01-15")

    def run(self) -> None:
        raise ValueError("load failed: 3 files rejected\nsecond line of detail")


class AlertsNeedsFailing(_NeverComplete):
    def requires(self) -> luigi.Task:
        return AlertsFailing()


class AlertsWritesFile(luigi.Task):
    path = luigi.Parameter()

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(self.path)

    def run(self) -> None:
        with self.output().open("w") as out:
            out.write("done")


class AlertsBrokenRequires(_NeverComplete):
    def requires(self) -> luigi.Task:
        raise RuntimeError("requires exploded")


class AlertsCompleteRaises(luigi.Task):
    def complete(self) -> bool:
        raise ConnectionError("marker table unreachable")


class AlertsMissingData(luigi.ExternalTask):
    def complete(self) -> bool:
        return False


class AlertsNeedsData(_NeverComplete):
    def requires(self) -> luigi.Task:
        return AlertsMissingData()


class AlertsBadInit(_NeverComplete):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        raise RuntimeError("bad init")


class AlertsDisabled(_NeverComplete):
    @property
    def disabled(self) -> bool:
        return True


class AlertsSleeps(_NeverComplete):
    worker_timeout = 0.5

    def run(self) -> None:
        time.sleep(30)


class AlertsDies(_NeverComplete):
    def run(self) -> None:
        os._exit(7)


class AlertsLeakyProgram(ExternalProgramTask, _NeverComplete):
    def program_args(self) -> list[str]:
        return ["sh", "-c", LEAKY_SCRIPT]


# --- one alert per event kind -----------------------------------------------------------------------------------


@pytest.mark.parametrize("multiprocessing", [False, True], ids=["in-process", "forked-child"])
def test_failure_alert(mattermost: FakeMattermost, settings: Settings, multiprocessing: bool) -> None:
    settings.set("worker", "force_multiprocessing", str(multiprocessing).lower())
    settings.set("alerts", "log_url", "https://logs.example/{family}?task={task_id}&host={host}")
    task = AlertsFailing()

    result = build(task)

    assert result.status == LuigiStatusCode.FAILED
    [request] = mattermost.requests
    assert request["content_type"] == "application/json"
    [payload] = mattermost.payloads()
    assert payload["username"] == "Luigi"
    assert payload["text"] == ":red_circle: **AlertsFailing** failed: ValueError: load failed: 3 files rejected"
    [attachment] = payload["attachments"]
    assert attachment["color"] == alerts.RED
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
    assert len(attachment["footer"]) <= alerts.FOOTER_LIMIT


def test_broken_task_alert(mattermost: FakeMattermost) -> None:
    assert build(AlertsBrokenRequires()).status == LuigiStatusCode.SCHEDULING_FAILED
    [payload] = mattermost.payloads()
    assert payload["text"] == ":red_circle: **AlertsBrokenRequires** failed: RuntimeError: requires exploded"
    [attachment] = payload["attachments"]
    assert fields(attachment)["Event"] == "not scheduled: requires()/deps() raised"
    assert "in requires" in attachment["text"]


def test_dependency_missing_alert_when_complete_raises(mattermost: FakeMattermost) -> None:
    assert build(AlertsCompleteRaises()).status == LuigiStatusCode.SCHEDULING_FAILED
    [payload] = mattermost.payloads()
    assert payload["text"] == ":red_circle: **AlertsCompleteRaises** failed: ConnectionError: marker table unreachable"
    [attachment] = payload["attachments"]
    assert fields(attachment)["Event"] == "not scheduled: complete() raised"
    assert "in complete" in attachment["text"]  # luigi's own traceback of complete()


def test_missing_external_data_is_no_failure_alert(mattermost: FakeMattermost) -> None:
    assert build(AlertsMissingData()).status == LuigiStatusCode.MISSING_EXT
    assert mattermost.requests == []


def test_timeout_alert(mattermost: FakeMattermost, settings: Settings) -> None:
    settings.set("worker", "force_multiprocessing", "true")
    started = time.monotonic()

    assert build(AlertsSleeps(), workers=1).status == LuigiStatusCode.FAILED

    assert time.monotonic() - started < 10
    [payload] = mattermost.payloads()  # the killed child posts nothing: TIMEOUT fires in the parent
    assert payload["text"].startswith(":red_circle: **AlertsSleeps** failed: WorkerTimeout: Task AlertsSleeps")
    assert "timed out after 0.5 seconds" in payload["text"]
    got = fields(payload["attachments"][0])
    assert got["Event"] == "timed out"
    assert got["Duration"] == "0.5 s"


def test_process_failure_alert(mattermost: FakeMattermost, settings: Settings) -> None:
    settings.set("worker", "force_multiprocessing", "true")

    assert build(AlertsDies(), workers=1).status == LuigiStatusCode.FAILED

    [payload] = mattermost.payloads()
    assert payload["text"].startswith(":red_circle: **AlertsDies** failed: ProcessDied: Task AlertsDies")
    assert payload["text"].endswith("died unexpectedly with exit code 7")
    assert fields(payload["attachments"][0])["Event"] == "worker process died"


# --- redaction --------------------------------------------------------------------------------------------------


def test_external_program_secret_and_environment_never_posted(
    mattermost: FakeMattermost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SNOWFLAKE_TRANSFORM_PASSWORD", SECRET)
    monkeypatch.setenv("BIZOPS_TEST_CANARY", CANARY)

    assert build(AlertsLeakyProgram()).status == LuigiStatusCode.FAILED

    raw = mattermost.raw()
    assert SECRET not in raw
    assert CANARY not in raw  # the environment dump is dropped, not just redacted
    assert "ENVIRONMENT" not in raw
    [payload] = mattermost.payloads()
    assert payload["text"] == (
        ":red_circle: **AlertsLeakyProgram** failed: ExternalProgramRunError: Program failed with return code=3"
    )
    text = payload["attachments"][0]["text"]
    assert "COMMAND: sh -c 'echo $SNOWFLAKE_TRANSFORM_PASSWORD;" in text
    assert "failing with ***" in text  # the stderr tail, redacted
    assert "STDOUT" not in text


# --- posting ----------------------------------------------------------------------------------------------------


def test_retries_503_then_succeeds(mattermost: FakeMattermost, caplog: pytest.LogCaptureFixture) -> None:
    mattermost.statuses = [503]
    with caplog.at_level(logging.INFO, logger="bizops.alerts"):
        assert alerts.post({"text": "hello"}) is True
    assert len(mattermost.requests) == 2
    assert "posted: HTTP 200 after 2 attempt(s)" in caplog.text
    assert HOOK_ID not in caplog.text


def test_gives_up_after_the_configured_retries(mattermost: FakeMattermost, caplog: pytest.LogCaptureFixture) -> None:
    mattermost.statuses = [503, 502, 429, 500]
    assert alerts.post({"text": "hello"}) is False
    assert len(mattermost.requests) == 3  # retries = 2
    assert "not posted: HTTP 429 after 3 attempt(s)" in caplog.text


def test_400_is_not_retried(mattermost: FakeMattermost, caplog: pytest.LogCaptureFixture) -> None:
    mattermost.statuses = [400]
    assert alerts.post({"text": "hello"}) is False
    assert len(mattermost.requests) == 1
    assert "not posted: HTTP 400 after 1 attempt(s)" in caplog.text
    assert HOOK_ID not in caplog.text


def test_limits(mattermost: FakeMattermost) -> None:
    assert alerts.post({"text": "word " * 4_000, "attachments": [{"text": "z", "footer": "f " * 200}]})
    [payload] = mattermost.payloads()
    assert len(payload["text"]) == alerts.TEXT_LIMIT
    assert len(payload["attachments"][0]["footer"]) == alerts.FOOTER_LIMIT


def test_server_down_changes_nothing(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MATTERMOST_WEBHOOK_URL", f"http://127.0.0.1:{port}/hooks/{HOOK_ID}")

    assert luigi.build([AlertsFailing()], local_scheduler=True) is False
    assert build(AlertsFailing()).status == LuigiStatusCode.FAILED
    with pytest.raises(SystemExit) as exit_:
        luigi.retcodes.run_with_retcodes(["AlertsFailing", "--local-scheduler", "--no-lock"])
    assert exit_.value.code == 30
    assert alerts.run_with_retcodes(["AlertsFailing", "--local-scheduler", "--no-lock"]) == 30

    assert "not posted: ConnectionError after 3 attempt(s)" in caplog.text
    assert HOOK_ID not in caplog.text


def test_missing_url_warns_once_and_posts_nothing(
    mattermost: FakeMattermost, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("MATTERMOST_WEBHOOK_URL")
    alerts._warn_alerts_off.cache_clear()

    assert build(AlertsFailing(), AlertsBrokenRequires()).status == LuigiStatusCode.FAILED_AND_SCHEDULING_FAILED
    assert alerts.post({"text": "hello"}) is False

    assert mattermost.requests == []
    warnings = [r for r in caplog.records if r.getMessage() == "MATTERMOST_WEBHOOK_URL is not set: alerts are off"]
    assert len(warnings) == 1


# --- the run summary --------------------------------------------------------------------------------------------


def test_summary_of_a_failed_run(mattermost: FakeMattermost) -> None:
    result = build(AlertsNeedsFailing())
    assert alerts.report_run(result) is True

    failure, summary = mattermost.payloads()
    assert failure["text"].startswith(":red_circle: **AlertsFailing** failed")
    assert summary["text"].startswith(
        ":red_circle: **Luigi run of AlertsNeedsFailing**: 1 failed, 1 left pending or not run\n```\n"
    )
    assert "===== Luigi Execution Summary =====" in summary["text"]
    assert summary["text"].endswith("\n```")
    assert summary["attachments"][0]["color"] == alerts.RED


def test_summary_of_missing_data(mattermost: FakeMattermost) -> None:
    assert alerts.report_run(build(AlertsNeedsData())) is True
    [summary] = mattermost.payloads()
    assert summary["text"].startswith(
        ":warning: **Luigi run of AlertsNeedsData**: 1 missing external data, 1 left pending or not run"
    )
    assert summary["attachments"][0]["color"] == alerts.AMBER


def test_summary_of_a_disabled_task(mattermost: FakeMattermost) -> None:
    assert alerts.report_run(build(AlertsDisabled())) is True
    [summary] = mattermost.payloads()
    assert summary["text"].startswith(":red_circle: **Luigi run of AlertsDisabled**: 1 disabled\n")


def test_no_summary_when_everything_is_done(mattermost: FakeMattermost, tmp_path: Any) -> None:
    result = build(AlertsWritesFile(path=str(tmp_path / "out.txt")))
    assert result.status == LuigiStatusCode.SUCCESS
    assert alerts.summary_payload(result) is None
    assert alerts.report_run(result) is False
    assert mattermost.requests == []


@pytest.mark.parametrize(
    ("family", "code", "post"),
    [
        ("AlertsFailing", 30, ":red_circle: **Luigi run of AlertsFailing**: 1 failed\n"),
        ("AlertsNeedsData", 20, ":warning: **Luigi run of AlertsNeedsData**: 1 missing external data"),
        ("AlertsBadInit", 40, ":red_circle: **Luigi run** crashed: RuntimeError: bad init"),
        ("AlertsWritesFile", 0, None),
    ],
)
def test_run_with_retcodes_matches_luigi(
    mattermost: FakeMattermost, tmp_path: Any, family: str, code: int, post: str | None
) -> None:
    output = tmp_path / "out.txt"
    argv = [family, "--local-scheduler", "--no-lock"]
    if family == "AlertsWritesFile":
        argv += ["--path", str(output)]
    with pytest.raises(SystemExit) as luigi_exit:
        luigi.retcodes.run_with_retcodes(argv)
    assert luigi_exit.value.code == code

    before = len(mattermost.requests)
    output.unlink(missing_ok=True)  # so that the task runs again
    assert alerts.run_with_retcodes(argv) == code

    run_posts = [p["text"] for p in mattermost.payloads()[before:] if "**Luigi run" in p["text"]]
    assert [text.startswith(post) for text in run_posts] == ([True] if post else [])
