"""The parts an alert is made of: the exception named from a traceback's text, an exception chain with an
external program in it, the stderr tail, and the task's parameters."""

from __future__ import annotations

import os
import traceback
from urllib.parse import quote

import luigi
from luigi.contrib.external_program import ExternalProgramRunError
from luigi.event import Event
from luigi.parameter import ParameterVisibility

from services.alerts.messages import (
    RED,
    TRACEBACK_LINES,
    _attempt,
    _code_block,
    _exception_parts,
    _final_exception,
    _first_line,
    _footer,
    _host,
    _link,
    _message_start,
    _run_problem_payload,
    _traceback_excerpt,
    failure_payload,
    summary_payload,
)
from tests.services.alerts.conftest import AlertsFailing

FRAMES = 'Traceback (most recent call last):\n  File "x.py", line 1, in f\n    raise error\n'


def test_the_final_exception_is_named_and_its_whole_message_kept() -> None:
    tb = FRAMES + "config.secrets.MissingSecretError: Load needs A: set it\nin the Secret\n\n"
    assert _final_exception(tb) == ("MissingSecretError", "Load needs A: set it\nin the Secret")


def test_a_message_without_frames_or_a_traceback_without_message() -> None:
    assert _final_exception("ValueError: bad\nsecond line") == ("ValueError", "bad\nsecond line")
    assert _final_exception(FRAMES) == ("Exception", "")


def program_error(command: str, stderr: str) -> ExternalProgramRunError:
    return ExternalProgramRunError(
        "Program failed with return code=3:", [command, "run"], env={"X": "1"}, stderr=stderr
    )


def test_an_external_program_anywhere_in_the_chain_is_described_not_dumped() -> None:
    """The cause is printed, found past the context (visited first); a cycle ends the walk."""
    cause, context = program_error("dbt", "  first\nlast\n"), program_error("psql", "boom\n")
    top = RuntimeError("the build failed")
    top.__cause__, top.__context__ = cause, context
    context.__context__ = top  # a cycle, as re-raising in an except block makes
    name, message, tb = _exception_parts(top)
    assert (name, message) == ("RuntimeError", "the build failed")
    assert "COMMAND: dbt run\nSTDERR (last 20 lines):\n  first\nlast\n" in tb
    assert "ENVIRONMENT" not in tb


def test_a_plain_exceptions_traceback_is_pythons() -> None:
    try:
        raise ValueError("plain")
    except ValueError as error:
        assert _exception_parts(error) == ("ValueError", "plain", "".join(traceback.format_exception(error)))


class AlertsWithParameters(luigi.Task):
    day = luigi.Parameter()
    region = luigi.Parameter()
    attempt = luigi.IntParameter(default=1, significant=False)
    token = luigi.Parameter(default="t", visibility=ParameterVisibility.PRIVATE)
    session = luigi.Parameter(default="s", visibility=ParameterVisibility.HIDDEN)


class AlertsWithout(luigi.Task):
    pass


def parameters(task: luigi.Task) -> str:
    payload = failure_payload(task, Event.FAILURE, "ValueError", "bad")
    (field,) = [f for f in payload["attachments"][0]["fields"] if f["title"] == "Parameters"]
    return field["value"]


def test_the_parameters_shown_are_the_significant_public_ones() -> None:
    assert parameters(AlertsWithParameters(day="2026-11-25", region="de")) == "day=2026-11-25, region=de"
    assert parameters(AlertsWithout()) == "(none)"


def test_a_failed_runs_summary_in_full(settings) -> None:
    settings.set("alerts", "visualiser_url", "http://luigi.example/static/visualiser/index.html#{task_id}")
    task = AlertsFailing()
    result = luigi.build([task], local_scheduler=True, detailed_summary=True)
    payload = summary_payload(result)
    header = ":red_circle: **Luigi run of AlertsFailing**: 1 failed"
    assert payload["text"] == f"{header}\n```\n{result.summary_text.strip()}\n```"
    assert payload["attachments"] == [{
        "fallback": header,
        "color": RED,
        "fields": [
            {"title": "Status", "value": result.one_line_summary, "short": False},
            {"title": "Host / pod", "value": _host(), "short": True},
            {"title": "Attempt", "value": _attempt(), "short": True},
        ],
        "footer": _footer(),
        "title": f"{task.task_id} in the visualiser",
        "title_link": f"http://luigi.example/static/visualiser/index.html#{task.task_id}",
    }]  # fmt: skip


def test_a_run_problem_alert_carries_its_traceback() -> None:
    tb = FRAMES + "RuntimeError: the scheduler is gone\n"
    payload = _run_problem_payload(":red_circle: **Luigi run** crashed: RuntimeError: the scheduler is gone", tb)
    assert payload["text"] == ":red_circle: **Luigi run** crashed: RuntimeError: the scheduler is gone"
    assert payload["attachments"] == [{
        "fallback": payload["text"], "color": RED, "footer": _footer(), "text": f"```\n{tb.rstrip()}\n```",
    }]  # fmt: skip
    assert "text" not in _run_problem_payload(":warning: not started")["attachments"][0]


def test_a_failure_alert_in_full(settings) -> None:
    settings.set("alerts", "visualiser_url", "http://luigi.example/#{task_id}")
    settings.set("alerts", "log_url", "http://logs.example/{family}/{host}")
    task = AlertsWithParameters(day="2026-11-25", region="de")
    payload = failure_payload(
        task, Event.FAILURE, "ValueError", "bad input:", FRAMES + "ValueError: bad input:\n", 1.25
    )
    text = ":red_circle: **AlertsWithParameters** failed: ValueError: bad input"
    assert payload["text"] == text
    visualiser, logs = (
        f"http://luigi.example/#{quote(task.task_id, safe='')}",
        f"http://logs.example/AlertsWithParameters/{_host()}",
    )
    assert payload["attachments"] == [{
        "fallback": text,
        "color": RED,
        "title": "AlertsWithParameters: run() failed",
        "text": f"```\n{FRAMES}ValueError: bad input:\n```",
        "fields": [
            {"title": "Family", "value": "AlertsWithParameters", "short": True},
            {"title": "Event", "value": "run() failed", "short": True},
            {"title": "Host / pod", "value": _host(), "short": True},
            {"title": "Attempt", "value": _attempt(), "short": True},
            {"title": "Exception", "value": "ValueError", "short": True},
            {"title": "Duration", "value": "1.2 s", "short": True},
            {"title": "Parameters", "value": "day=2026-11-25, region=de", "short": True},
            {"title": "Task id", "value": task.task_id, "short": False},
            {"title": "Links", "value": f"[Task in the visualiser]({visualiser}) · [Logs]({logs})", "short": False},
        ],
        "footer": _footer(),
        "title_link": visualiser,
    }]  # fmt: skip


def test_a_link_pattern_with_an_unknown_placeholder_costs_the_link_not_the_alert(settings, caplog) -> None:
    settings.set("alerts", "visualiser_url", "http://luigi.example/#{task}")
    payload = failure_payload(AlertsWithout(), Event.FAILURE, "ValueError", "bad")
    assert "title_link" not in payload["attachments"][0]
    assert (
        "[alerts] link pattern 'http://luigi.example/#{task}' has an unknown placeholder; link left out"
        in caplog.messages
    )


def test_a_long_traceback_keeps_the_messages_head_and_the_innermost_frames() -> None:
    frames = [f'  File "m{i}.py", line {i}, in f{i}\n    call{i}()' for i in range(30)]
    message = [f"line {i} of the message" for i in range(50)]
    tb = "Traceback (most recent call last):\n" + "\n".join(frames) + "\nValueError: " + "\n".join(message) + "\n"
    excerpt = _traceback_excerpt(tb)
    kept = [f"ValueError: {message[0]}", *message[1:9], "… (41 more lines)"]  # MESSAGE_LINES: the head, and a count
    frame_lines = "\n".join(frames).splitlines()[-(TRACEBACK_LINES - len(kept)) :]  # the room left, innermost last
    assert excerpt == "\n".join([*frame_lines, *kept])
    assert _message_start(tb.splitlines()) == 61 and _message_start(["ValueError: no traceback"]) == 0


def test_link_values_are_quoted_whole() -> None:
    assert _link("http://logs.example/{family}?q={host}", family="a/b", host="pod 1") == (
        "http://logs.example/a%2Fb?q=pod%201"
    )
    assert _link(None, family="a") is None


def test_the_sender_host_and_attempt(settings, monkeypatch) -> None:
    settings.set("alerts", "channel", "bizops-alerts")
    settings.set("alerts", "icon_url", "http://icons.example/luigi.png")
    monkeypatch.setenv("HOSTNAME", "daily-loads-29400180-x2v9k")
    monkeypatch.delenv("BIZOPS_RUN_ID")
    payload = _run_problem_payload("a ``` fence")
    assert (payload["channel"], payload["icon_url"]) == ("bizops-alerts", "http://icons.example/luigi.png")
    assert _host() == "daily-loads-29400180-x2v9k" and _attempt() == f"pid {os.getpid()}"
    assert _code_block("a ``` fence") == "```\na ''' fence\n```"


def test_the_first_line_of_a_message() -> None:
    assert _first_line("load failed:\nsecond") == "load failed"
    assert _first_line("") == ""
