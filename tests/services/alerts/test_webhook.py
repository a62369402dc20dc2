"""Posting to the Mattermost webhook (services.alerts.webhook): retries, limits, a post that must appear at most once,
and a webhook that is down or not configured, which changes nothing about the run."""

from __future__ import annotations

import logging
import socket

import luigi
import luigi.retcodes
import pytest
from luigi.execution_summary import LuigiStatusCode

from services.alerts.messages import FOOTER_LIMIT, TEXT_LIMIT
from services.alerts.run import run_with_retcodes
from services.alerts.webhook import Delivery, _warn_alerts_off, deliver, post
from tests.conftest import Settings, build
from tests.services.alerts.conftest import HOOK_ID, AlertsBrokenRequires, AlertsFailing, FakeMattermost


def test_retries_503_then_succeeds(mattermost: FakeMattermost, caplog: pytest.LogCaptureFixture) -> None:
    mattermost.statuses = [503]
    with caplog.at_level(logging.INFO, logger="bizops.alerts"):
        assert post({"text": "hello"}) is True
    assert len(mattermost.requests) == 2
    assert "posted: HTTP 200 after 2 attempt(s)" in caplog.text
    assert HOOK_ID not in caplog.text


def test_gives_up_after_the_configured_retries(mattermost: FakeMattermost, caplog: pytest.LogCaptureFixture) -> None:
    mattermost.statuses = [503, 502, 429, 500]
    assert post({"text": "hello"}) is False
    assert len(mattermost.requests) == 3  # retries = 2
    assert "not posted: HTTP 429 after 3 attempt(s)" in caplog.text


def test_400_is_not_retried(mattermost: FakeMattermost, caplog: pytest.LogCaptureFixture) -> None:
    mattermost.statuses = [400]
    assert post({"text": "hello"}) is False
    assert len(mattermost.requests) == 1
    assert "not posted: HTTP 400 after 1 attempt(s)" in caplog.text
    assert HOOK_ID not in caplog.text


def test_limits(mattermost: FakeMattermost) -> None:
    assert post({"text": "word " * 4_000, "attachments": [{"text": "z", "footer": "f " * 200}]})
    [payload] = mattermost.payloads()
    assert len(payload["text"]) == TEXT_LIMIT
    assert len(payload["attachments"][0]["footer"]) == FOOTER_LIMIT


def test_server_down_changes_nothing(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MATTERMOST_WEBHOOK_URL", f"http://127.0.0.1:{port}/hooks/{HOOK_ID}")

    assert luigi.build([AlertsFailing()], local_scheduler=True) is False
    assert build(AlertsFailing(), detailed_summary=True).status == LuigiStatusCode.FAILED
    with pytest.raises(SystemExit) as exit_:
        luigi.retcodes.run_with_retcodes(["AlertsFailing", "--local-scheduler", "--no-lock"])
    assert exit_.value.code == 30
    assert run_with_retcodes(["AlertsFailing", "--local-scheduler", "--no-lock"]) == 30

    assert "not posted: ConnectionError after 3 attempt(s)" in caplog.text
    assert HOOK_ID not in caplog.text


def test_missing_url_warns_once_and_posts_nothing(
    mattermost: FakeMattermost, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("MATTERMOST_WEBHOOK_URL")
    _warn_alerts_off.cache_clear()

    assert (
        build(AlertsFailing(), AlertsBrokenRequires(), detailed_summary=True).status
        == LuigiStatusCode.FAILED_AND_SCHEDULING_FAILED
    )
    assert post({"text": "hello"}) is False

    assert mattermost.requests == []
    warnings = [r for r in caplog.records if r.getMessage() == "MATTERMOST_WEBHOOK_URL is not set: alerts are off"]
    assert len(warnings) == 1


def test_a_timeout_is_retried_for_an_alert_but_not_for_a_post_that_must_appear_once(
    mattermost: FakeMattermost, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.set("alerts", "timeout_seconds", "0.3")
    mattermost.delay = 1.0  # every post arrives; every answer comes too late

    assert post({"text": "an alert"}) is False
    assert len(mattermost.requests) == 3  # retries = 2: a duplicate alert is harmless
    mattermost.requests.clear()

    assert deliver({"text": "a digest"}, at_most_once=True) is Delivery.UNKNOWN
    assert len(mattermost.requests) == 1
    assert "sent without an answer (ReadTimeout, attempt 1): it may be posted" in caplog.text


def test_a_post_that_must_appear_once_is_retried_while_it_cannot_have_arrived(
    mattermost: FakeMattermost, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    mattermost.statuses = [503]
    assert deliver({"text": "a digest"}, at_most_once=True) is Delivery.ACCEPTED  # an answer: it was not posted
    assert len(mattermost.requests) == 2
    with socket.socket() as probe:  # a port nobody listens on: the connection is refused, nothing is sent
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MATTERMOST_WEBHOOK_URL", f"http://127.0.0.1:{port}/hooks/{HOOK_ID}")
    assert deliver({"text": "a digest"}, at_most_once=True) is Delivery.NOT_POSTED
    assert "not posted: ConnectionError after 3 attempt(s)" in caplog.text
