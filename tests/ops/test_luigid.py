"""`make luigid` (ops/luigid.py) and its visualiser, looked at in a real headless Chromium after a run with two
workers: the task list, the dependency graph, and the status message and progress of a load and of a dbt node.
The screenshots are kept in the test's tmp folder.

The run is one day of one load and the one dbt model that reads it: no Luigi batch. With batches, luigid 3.8.1
can keep a finished batch RUNNING and fail ``get_work`` with a KeyError in ``count_pending`` (a second worker
asks for work while the batch ends), which is Luigi's to fix, not what this test is about."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tasks.params import yesterday
from tests.conftest import Checkout, missing, wait_until_up


class Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe (it reads commands on fd 3, replies on fd 4)."""

    def __init__(self, profile: Path, width: int = 1600, height: int = 1000):
        found = shutil.which("chromium")
        if found is None:
            missing("chromium", "apt-get install -y chromium; .ci/run installs it")
        to_chrome, self._out = os.pipe()
        self._in, from_chrome = os.pipe()

        def pipes() -> None:  # in the child: its two ends at fds 3 and 4, moved out of the way first
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_chrome, from_chrome)]
            for fd, wanted in zip(high, (3, 4), strict=True):
                os.dup2(fd, wanted)

        self.proc = subprocess.Popen(
            [found, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
             "--disable-background-networking", "--disable-component-update", "--remote-debugging-pipe",
             f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=pipes, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_chrome)
        os.close(from_chrome)
        self._buffer, self._id = b"", 0
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Emulation.setDeviceMetricsOverride", page=True, width=width, height=height, deviceScaleFactor=1,
                  mobile=False)  # fmt: skip

    def send(self, method: str, page: bool = False, **params: Any) -> dict:
        """One command (to the page when ``page``); its result. Events in between are skipped."""
        self._id += 1
        message = {"id": self._id, "method": method, "params": params, **({"sessionId": self.session} if page else {})}
        os.write(self._out, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._in, 1 << 20)
                assert chunk, "chromium exited"
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return reply["result"]

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", page=True, expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> Any:
        """The expression's value once it is truthy (the visualiser fills its page from luigid's API)."""
        deadline = time.monotonic() + timeout
        while not (value := self.evaluate(expression)):
            assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
            time.sleep(0.2)
        return value

    def open(self, url: str) -> None:
        """Load the page afresh (by way of a blank one: a new #fragment alone would not reload it)."""
        for address in ("about:blank", url):
            self.send("Page.navigate", page=True, url=address)
            self.wait_for(f"location.href === {json.dumps(address)} && document.readyState === 'complete'")

    def screenshot(self, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", page=True, format="png")["data"]))
        return path

    def close(self) -> None:
        self.send("Browser.close")
        self.proc.wait(30)
        os.close(self._in)
        os.close(self._out)


ROWS = "Array.from(document.querySelectorAll('#taskTable tbody tr'))"


def task_list(browser: Chromium, page: str) -> list[str]:
    """The text of every row of the visualiser's task list (all on one page)."""
    browser.open(page)
    browser.wait_for(f"{ROWS}.some(r => r.querySelector('td.details-control'))")
    browser.evaluate("$('#taskTable').DataTable().page.len(100).draw()")
    return browser.evaluate(f"{ROWS}.map(r => r.innerText.replace(/\\s+/g, ' '))")


def status_message(browser: Chromium, page: str, family: str) -> tuple[str, str]:
    """(message, progress) in the status message dialog of the task list's first ``family`` row that has one."""
    task_list(browser, page)
    browser.evaluate(f"{ROWS}.find(r => r.innerText.includes('{family}') && r.querySelector('.statusMessage'))"
                     ".querySelector('.statusMessage').click()")  # fmt: skip
    bar = "$('#statusMessageModal .progress-bar')"
    # the bar's width is drawn by a CSS transition: wait until it has reached what its text says
    drawn = f"Math.round(100 * {bar}.outerWidth() / {bar}.parent().innerWidth()) + '%' === {bar}.text().trim()"
    message = "$('#statusMessageModal pre').text()"
    shown = f"$('#statusMessageModal').is(':visible') && {message} && {drawn}"
    return tuple(browser.wait_for(f"{shown} && [{message}, {bar}.text().trim()]"))


@pytest.mark.timeout(900)
def test_the_visualiser_shows_the_tasks_graph_and_progress_of_a_run_with_two_workers(demo: Checkout, tmp_path: Path):
    (demo.root / "data" / "luigid" / "state.pickle").unlink(missing_ok=True)  # a scheduler of its own
    port = demo.luigid_port()
    server = demo.start("make luigid")
    try:
        wait_until_up(server, lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close(), "luigid", 120)
        day = yesterday()
        invalidate = f"python -m ops invalidate LoadReleaseLogs --end {day} --yes"
        run = demo.run(
            f"{invalidate} && python -m tasks DbtBuild --selection nightly --scheduler-host localhost --workers 2"
        )
        assert run.returncode == 0, run.stdout
        assert "done    DbtNode(node=model.bizops.downloads)" in run.stdout, run.stdout
        page = f"http://127.0.0.1:{port}/static/visualiser/index.html"
        browser = Chromium(tmp_path / "chromium-profile")
        try:
            rows = task_list(browser, f"{page}#tab=tasks")
            browser.screenshot(tmp_path / "tasks.png")
            for family in ("DbtBuild", "DbtNode", "LoadReleaseLogs", "LandingFiles"):
                assert any(row.startswith(" DONE") and f" {family} " in row for row in rows), (family, rows)

            load = status_message(browser, f"{page}#tab=tasks", "LoadReleaseLogs")
            browser.screenshot(tmp_path / "load-status.png")
            assert load[0].startswith(f"raw.releases.log_entries {day}: ") and " rows" in load[0], load
            node = status_message(browser, f"{page}#tab=tasks", "DbtNode")
            browser.screenshot(tmp_path / "dbt-status.png")
            assert node[0].startswith("dbt built 1 node(s)"), node
            assert load[1] == node[1] == "100%"

            graph_link = "querySelector('a[href*=graph]').getAttribute('href')"
            root = browser.evaluate(f"{ROWS}.find(r => r.innerText.includes('DbtBuild')).{graph_link}")
            root = root.replace("&hideDone=1", "")
            browser.open(f"{page}{root}")
            labels = browser.wait_for(
                "(found => found.includes('LandingFiles') && found)"
                "(Array.from(document.querySelectorAll('svg text')).map(t => t.textContent))"
            )
            browser.screenshot(tmp_path / "graph.png")
            assert {"DbtBuild", "DbtNode", "LoadReleaseLogs", "LandingFiles"} <= set(labels), labels
        finally:
            browser.close()
    finally:
        demo.stop(server)
