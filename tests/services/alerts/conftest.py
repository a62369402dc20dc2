"""The alert tests' stand-in for Mattermost - a real HTTP server on 127.0.0.1, in the test process - and the
tasks whose failures they alert on. Under multiprocessing the FAILURE handler runs in the task's forked child
and reaches the server by URL, like the real webhook.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import luigi
import pytest

from services.alerts import handlers
from tests.conftest import Settings

HOOK_ID = "xk3hook9secret4id"  # the URL is a secret: it must never show up in logs


# --- the fake Mattermost ----------------------------------------------------------------------------------------


class FakeMattermost(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # scripted answers, then 200
        self.delay = 0.0  # seconds between receiving a post and answering it (a slow server)
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
        time.sleep(self.server.delay)
        answer = b"ok" if status == 200 else b'{"message": "scripted failure"}'
        with contextlib.suppress(OSError):  # a client that timed out has closed the connection
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


@pytest.fixture(autouse=True)
def alert_handlers() -> None:
    """The failure handlers on every luigi.Task, as ``luigi --module tasks`` installs them (tasks/__init__.py)."""
    handlers.register()


# --- tasks ------------------------------------------------------------------------------------------------------


class NeverComplete(luigi.Task):
    def complete(self) -> bool:
        return False


class AlertsFailing(NeverComplete):
    day = luigi.Parameter(default="2020-01-15")

    def run(self) -> None:
        raise ValueError("load failed: 3 files rejected\nsecond line of detail")


class AlertsBrokenRequires(NeverComplete):
    def requires(self) -> luigi.Task:
        raise RuntimeError("requires exploded")


class AlertsMissingData(luigi.ExternalTask):
    def complete(self) -> bool:
        return False
