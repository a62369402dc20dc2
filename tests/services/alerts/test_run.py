"""The end of a run (services.alerts.run): one summary post when anything failed, was disabled or was left pending,
and the exit codes of ``luigi`` for cron."""

from __future__ import annotations

from typing import Any

import luigi
import luigi.retcodes
import pytest
from luigi.execution_summary import LuigiStatusCode

from services.alerts.messages import AMBER, RED, summary_payload
from services.alerts.run import report_run, run_with_retcodes
from tests.conftest import build
from tests.services.alerts.conftest import AlertsFailing, AlertsMissingData, FakeMattermost, NeverComplete

# --- tasks ------------------------------------------------------------------------------------------------------


class AlertsNeedsFailing(NeverComplete):
    def requires(self) -> luigi.Task:
        return AlertsFailing()


class AlertsWritesFile(luigi.Task):
    path = luigi.Parameter()

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(self.path)

    def run(self) -> None:
        with self.output().open("w") as out:
            out.write("done")


class AlertsNeedsData(NeverComplete):
    def requires(self) -> luigi.Task:
        return AlertsMissingData()


class AlertsBadInit(NeverComplete):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        raise RuntimeError("bad init")


class AlertsDisabled(NeverComplete):
    @property
    def disabled(self) -> bool:
        return True


# --- the run summary --------------------------------------------------------------------------------------------


def test_summary_of_a_failed_run(mattermost: FakeMattermost) -> None:
    result = build(AlertsNeedsFailing(), detailed_summary=True)
    assert report_run(result) is True

    failure, summary = mattermost.payloads()
    assert failure["text"].startswith(":red_circle: **AlertsFailing** failed")
    assert summary["text"].startswith(
        ":red_circle: **Luigi run of AlertsNeedsFailing**: 1 failed, 1 left pending or not run\n```\n"
    )
    assert "===== Luigi Execution Summary =====" in summary["text"]
    assert summary["text"].endswith("\n```")
    assert summary["attachments"][0]["color"] == RED


def test_summary_of_missing_data(mattermost: FakeMattermost) -> None:
    assert report_run(build(AlertsNeedsData(), detailed_summary=True)) is True
    [summary] = mattermost.payloads()
    assert summary["text"].startswith(
        ":warning: **Luigi run of AlertsNeedsData**: 1 missing external data, 1 left pending or not run"
    )
    assert summary["attachments"][0]["color"] == AMBER


def test_summary_of_a_disabled_task(mattermost: FakeMattermost) -> None:
    assert report_run(build(AlertsDisabled(), detailed_summary=True)) is True
    [summary] = mattermost.payloads()
    assert summary["text"].startswith(":red_circle: **Luigi run of AlertsDisabled**: 1 disabled\n")


def test_no_summary_when_everything_is_done(mattermost: FakeMattermost, tmp_path: Any) -> None:
    result = build(AlertsWritesFile(path=str(tmp_path / "out.txt")), detailed_summary=True)
    assert result.status == LuigiStatusCode.SUCCESS
    assert summary_payload(result) is None
    assert report_run(result) is False
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
    assert run_with_retcodes(argv) == code

    run_posts = [p["text"] for p in mattermost.payloads()[before:] if "**Luigi run" in p["text"]]
    assert [text.startswith(post) for text in run_posts] == ([True] if post else [])
