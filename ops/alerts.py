"""Failure alerts to a Mattermost incoming webhook: one post per failed task, and one summary per luigi run.

Importing this module registers the handlers on every ``luigi.Task``, so the module ``luigi --module`` loads must
import it. Every string posted goes through ``config.secrets.redact``, and text is cut only after redaction (a cut
could leave a secret's prefix that redaction no longer recognises). Nothing here raises into Luigi: an alert must
never mask a task's own failure or change the exit code.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import shlex
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import luigi
import luigi.execution_summary
import luigi.interface
import luigi.retcodes
import luigi.worker
import requests
from luigi.cmdline_parser import CmdlineParser
from luigi.contrib.external_program import ExternalProgramRunError
from luigi.event import Event
from luigi.execution_summary import LuigiRunResult

from config import settings
from config.secrets import get_optional, redact

logger = logging.getLogger("bizops.alerts")

Payload = dict[str, Any]

TEXT_LIMIT = 16_383  # Mattermost: runes of `text` per post (longer text is split into several posts)
FOOTER_LIMIT = 300  # Mattermost: attachment footer
FIRST_LINE_CHARS = 500
TRACEBACK_LINES = 40
TRACEBACK_CHARS = 8_000
STDERR_LINES = 20
PARAMETERS_CHARS = 2_000
MAX_RETRY_AFTER = 30.0  # seconds; a handler blocks its worker, so a longer Retry-After is not obeyed
RED, AMBER = "#d0021b", "#f2a900"
_HEADERS = {"Content-Type": "application/json"}

_STAGES = {
    Event.FAILURE: "run() failed",
    Event.PROCESS_FAILURE: "worker process died",
    Event.TIMEOUT: "timed out",
    Event.BROKEN_TASK: "not scheduled: requires()/deps() raised",
    Event.DEPENDENCY_MISSING: "not scheduled: complete() raised",
}
# ExternalProgramRunError.__str__ ends with the whole environment; dropped from any text, whatever wraps it.
_ENV_DUMP = re.compile(r"ENVIRONMENT: .*?(?:\x1b\[m|\Z)", re.DOTALL)
_TIMED_OUT_AFTER = re.compile(r"timed out after ([\d.]+) seconds")
_started: dict[str, float] = {}  # task_id -> START time; FAILURE fires in the same process as START


# --- text helpers ---------------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return redact(_ENV_DUMP.sub("ENVIRONMENT: [dropped]", text))


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


def _truncate(text: str, limit: int, *, keep_end: bool = False) -> str:
    """Cut to ``limit`` runes (code points, as Mattermost counts). Only on text that is already redacted."""
    if len(text) <= limit:
        return text
    return "…" + text[-(limit - 1) :] if keep_end else text[: limit - 1] + "…"


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _first_line(message: str) -> str:
    # Redacted as a whole first: a secret may span lines (a PEM key).
    return _truncate((_clean(message).strip().splitlines() or [""])[0].rstrip(":"), FIRST_LINE_CHARS)


def _code_block(text: str) -> str:
    return "```\n" + text.replace("```", "'''") + "\n```"


def _field(title: str, value: str, *, short: bool = True) -> dict[str, Any]:
    return {"title": title, "value": value, "short": short}


def _host() -> str:
    return os.environ.get("HOSTNAME") or socket.gethostname()


def _attempt() -> str:
    # Luigi gives handlers no attempt count (that lives in the scheduler): name the invocation instead.
    run_id = os.environ.get("BIZOPS_RUN_ID")
    return f"run {run_id}, pid {os.getpid()}" if run_id else f"pid {os.getpid()}"


def _footer() -> str:
    return f"BizOps pipeline · {_host()} · {_attempt()}"


def _link(pattern: str | None, **values: str) -> str | None:
    if not pattern:
        return None
    try:
        return pattern.format_map({key: quote(value, safe="") for key, value in values.items()})
    except (KeyError, IndexError, ValueError):
        # A typo in luigi.cfg costs the link, not the alert.
        logger.warning("[alerts] link pattern %r has an unknown placeholder; link left out", redact(pattern))
        return None


# --- exceptions -----------------------------------------------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is not None and id(current) not in seen:
            seen.add(id(current))
            yield current
            pending += [current.__cause__, current.__context__]


def _describe(exc: BaseException) -> str:
    """The message of an exception; of an external program only the command, return code and stderr tail."""
    if isinstance(exc, ExternalProgramRunError):
        lines = [exc.message, f"COMMAND: {shlex.join(map(str, exc.args or ()))}"]
        if exc.err:
            lines.append(f"STDERR (last {STDERR_LINES} lines):\n{_tail(_clean(exc.err), STDERR_LINES)}")
        return "\n".join(lines)
    return str(exc)


def _exception_parts(exc: BaseException) -> tuple[str, str, str]:
    """(type name, message, traceback) with every ExternalProgramRunError's text replaced by its description."""
    tb = "".join(traceback.format_exception(exc))
    for link in _chain(exc):
        if isinstance(link, ExternalProgramRunError):
            tb = tb.replace(str(link), _describe(link))
    return type(exc).__name__, _describe(exc), tb


def _final_exception(tb: str) -> tuple[str, str]:
    """(type name, message) from the lines after the last indented line of a formatted traceback."""
    lines = tb.rstrip().splitlines()
    start = max((i for i, line in enumerate(lines) if line.startswith(" ")), default=-1) + 1
    name, _, message = "\n".join(lines[start:]).partition(": ")
    return name.rsplit(".", 1)[-1] or "Exception", message


def _complete_traceback() -> str | None:
    """The traceback of a raising complete(): luigi 3.8.1 fires DEPENDENCY_MISSING without it, but its caller
    ``Worker._add`` holds it in the local ``formatted_traceback`` (None when external data is merely missing)."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "_add" and frame.f_globals.get("__name__") == "luigi.worker":
            return frame.f_locals.get("formatted_traceback")
        frame = frame.f_back
    return None


# --- payloads -------------------------------------------------------------------------------------------------


def _finish(payload: Payload) -> Payload:
    """Sender fields from [alerts], every string redacted, Mattermost's length limits applied."""
    cfg = settings.alerts()
    sender = {"username": cfg.username, "channel": cfg.channel, "icon_url": cfg.icon_url}
    finished = _redacted({**{key: value for key, value in sender.items() if value}, **payload})
    if "text" in finished:
        finished["text"] = _truncate(finished["text"], TEXT_LIMIT)
    for attachment in finished.get("attachments", []):
        if "footer" in attachment:
            attachment["footer"] = _truncate(attachment["footer"], FOOTER_LIMIT)
    return finished


def failure_payload(
    task: luigi.Task,
    event: str,
    error_type: str,
    message: str,
    tb: str | None = None,
    duration: float | None = None,
) -> Payload:
    """The alert for one failed task: a short text, the details in one attachment (redacted, within limits)."""
    cfg = settings.alerts()
    family, host = task.task_family, _host()
    text = f":red_circle: **{family}** failed: {error_type}: {_first_line(message)}"
    visualiser = _link(cfg.visualiser_url, task_id=task.task_id)
    logs = _link(cfg.log_url, task_id=task.task_id, family=family, host=host)
    params = task.to_str_params(only_significant=True, only_public=True)
    parameters = _clean(", ".join(f"{key}={value}" for key, value in params.items()))
    fields = [
        _field("Family", family),
        _field("Event", _STAGES[event]),
        _field("Host / pod", host),
        _field("Attempt", _attempt()),
        _field("Exception", error_type),
    ]
    if duration is not None:
        fields.append(_field("Duration", f"{duration:.1f} s"))
    fields += [
        _field("Parameters", _truncate(parameters, PARAMETERS_CHARS) or "(none)"),
        _field("Task id", task.task_id, short=False),
    ]
    links = [f"[{name}]({url})" for name, url in (("Task in the visualiser", visualiser), ("Logs", logs)) if url]
    if links:
        fields.append(_field("Links", " · ".join(links), short=False))
    attachment: Payload = {
        "fallback": text,
        "color": RED,
        "title": f"{family}: {_STAGES[event]}",
        "text": _code_block(_truncate(_tail(_clean(tb or message), TRACEBACK_LINES), TRACEBACK_CHARS, keep_end=True)),
        "fields": fields,
        "footer": _footer(),
    }
    if visualiser:
        attachment["title_link"] = visualiser
    return _finish({"text": text, "attachments": [attachment]})


def summary_payload(result: LuigiRunResult) -> Payload | None:
    """The summary of a luigi invocation in which a task failed, was disabled, or was left pending or not run
    (luigi's own summary text in the message); None when every task is done."""
    worker = result.worker
    history = worker._add_task_history
    sets = luigi.execution_summary._summary_dict(worker)
    done = sets["completed"] | sets["already_done"]
    left = {task for task, _, _ in history} - done
    if not left and result.scheduling_succeeded:
        return None
    problems = {
        "failed": sets["failed"],
        "failed scheduling": sets["scheduling_error"],
        "disabled": {task for task, status, _ in history if status == "DISABLED"} - done,
        "missing external data": sets["still_pending_ext"],
    }
    problems["left pending or not run"] = left - set().union(*problems.values())
    tally = ", ".join(f"{len(tasks)} {label}" for label, tasks in problems.items() if tasks)
    # Red needs a person (a failure, a broken task, a disabled one); amber may resolve itself (late data).
    severe = bool(problems["failed"] or problems["failed scheduling"] or problems["disabled"])
    severe = severe or not result.scheduling_succeeded
    root = history[0][0] if history else None
    header = (
        f"{':red_circle:' if severe else ':warning:'} **Luigi run of {root.task_family if root else 'nothing'}**: "
        f"{tally or result.one_line_summary}"
    )
    # Redacted before truncating, so the cut never lands inside a secret or the closing fence.
    summary = _truncate(_clean(result.summary_text.strip()), TEXT_LIMIT - len(header) - len("\n```\n\n```"))
    attachment: Payload = {
        "fallback": header,
        "color": RED if severe else AMBER,
        "fields": [
            _field("Status", result.one_line_summary, short=False),
            _field("Host / pod", _host()),
            _field("Attempt", _attempt()),
        ],
        "footer": _footer(),
    }
    if root is not None and (visualiser := _link(settings.alerts().visualiser_url, task_id=root.task_id)):
        attachment["title"], attachment["title_link"] = f"{root.task_id} in the visualiser", visualiser
    return _finish({"text": f"{header}\n{_code_block(summary)}", "attachments": [attachment]})


def _run_problem_payload(text: str, tb: str | None = None) -> Payload:
    attachment: Payload = {"fallback": text, "color": RED, "footer": _footer()}
    if tb:
        attachment["text"] = _code_block(_truncate(_tail(_clean(tb), TRACEBACK_LINES), TRACEBACK_CHARS, keep_end=True))
    return _finish({"text": text, "attachments": [attachment]})


# --- posting --------------------------------------------------------------------------------------------------


@functools.cache
def _warn_alerts_off() -> None:
    logger.warning("MATTERMOST_WEBHOOK_URL is not set: alerts are off")


def _backoff(base: float, attempt: int, retry_after: str | None) -> float:
    if retry_after is not None:
        with contextlib.suppress(ValueError):  # an HTTP date: fall back to the backoff
            return min(float(retry_after), MAX_RETRY_AFTER)
    return base * 2 ** (attempt - 1)


def _send(url: str, body: bytes, cfg: settings.alerts) -> tuple[bool, str, int]:
    """(accepted, outcome, attempts); retries 429, 5xx, connection errors and timeouts, nothing else."""
    outcome, attempt = "not sent", 0
    for attempt in range(1, cfg.retries + 2):
        retry_after = None
        try:
            response = requests.post(url, data=body, headers=_HEADERS, timeout=cfg.timeout_seconds)
        except (requests.ConnectionError, requests.Timeout) as exc:
            outcome = type(exc).__name__  # not str(exc): it names the URL, which is a secret
        else:
            outcome = f"HTTP {response.status_code}"
            if response.ok:
                return True, outcome, attempt
            if response.status_code != 429 and response.status_code < 500:
                return False, outcome, attempt  # the request itself is refused: a retry gets the same answer
            retry_after = response.headers.get("Retry-After")
        if attempt <= cfg.retries:
            time.sleep(_backoff(cfg.backoff_seconds, attempt, retry_after))
    return False, outcome, attempt


def post(payload: Payload) -> bool:
    """Post one message to MATTERMOST_WEBHOOK_URL (redacted, within limits); True if Mattermost accepted it.

    Never raises. Without a URL: one warning per process, nothing posted. The URL is never logged.
    """
    url = get_optional("MATTERMOST_WEBHOOK_URL")
    if url is None:
        _warn_alerts_off()
        return False
    try:
        cfg = settings.alerts()
        accepted, outcome, attempts = _send(url, json.dumps(_finish(payload)).encode(), cfg)
    except Exception:
        logger.warning("Mattermost alert not sent, the alert code failed:\n%s", redact(traceback.format_exc()))
        return False
    if accepted:
        logger.info("Mattermost alert posted: %s after %d attempt(s)", outcome, attempts)
    else:
        logger.warning("Mattermost alert not posted: %s after %d attempt(s)", outcome, attempts)
    return accepted


# --- Luigi event handlers -------------------------------------------------------------------------------------


def _never_raises(handler: Callable[..., None]) -> Callable[..., None]:
    # Luigi would swallow the exception too, but log it unredacted.
    @functools.wraps(handler)
    def wrapper(*args: Any) -> None:
        try:
            handler(*args)
        except Exception:
            logger.warning("Mattermost alert not sent, the alert code failed:\n%s", redact(traceback.format_exc()))

    return wrapper


@_never_raises
def _on_start(task: luigi.Task) -> None:
    _started[task.task_id] = time.monotonic()


@_never_raises
def _on_failure(task: luigi.Task, exc: BaseException) -> None:
    started = _started.pop(task.task_id, None)
    duration = None if started is None else time.monotonic() - started
    post(failure_payload(task, Event.FAILURE, *_exception_parts(exc), duration=duration))


@_never_raises
def _on_broken_task(task: luigi.Task, exc: BaseException) -> None:
    post(failure_payload(task, Event.BROKEN_TASK, *_exception_parts(exc)))


@_never_raises
def _on_process_failure(task: luigi.Task, message: str) -> None:
    post(failure_payload(task, Event.PROCESS_FAILURE, "ProcessDied", message))


@_never_raises
def _on_timeout(task: luigi.Task, message: str) -> None:
    after = _TIMED_OUT_AFTER.search(message)  # luigi's message is the only place the duration is given
    duration = float(after.group(1)) if after else None
    post(failure_payload(task, Event.TIMEOUT, "WorkerTimeout", message, duration=duration))


@_never_raises
def _on_dependency_missing(task: luigi.Task) -> None:
    tb = _complete_traceback()
    if tb is None and luigi.worker._is_external(task):
        return  # an external task's data is not there yet: no failure, the run summary reports it
    if tb is None:
        error_type, message = "Exception", "complete() raised (the traceback is in the worker log)"
    else:
        error_type, message = _final_exception(tb)
    post(failure_payload(task, Event.DEPENDENCY_MISSING, error_type, message, tb))


_HANDLERS: dict[str, Callable[..., None]] = {
    Event.START: _on_start,
    Event.FAILURE: _on_failure,
    Event.PROCESS_FAILURE: _on_process_failure,
    Event.TIMEOUT: _on_timeout,
    Event.BROKEN_TASK: _on_broken_task,
    Event.DEPENDENCY_MISSING: _on_dependency_missing,
}


def register() -> None:
    """Attach the handlers to every luigi.Task. Idempotent: luigi keeps each event's handlers in a set."""
    for event, handler in _HANDLERS.items():
        luigi.Task.event_handler(event)(handler)


register()


# --- end of a run ---------------------------------------------------------------------------------------------


def report_run(result: LuigiRunResult) -> bool:
    """Post the run summary if anything failed, was disabled or was left pending; True if one was posted.
    Call it once, at the end of an invocation. Never raises."""
    try:
        payload = summary_payload(result)
    except Exception:
        logger.warning("Run summary not sent, the alert code failed:\n%s", redact(traceback.format_exc()))
        return False
    return payload is not None and post(payload)


def _exit_code(result: LuigiRunResult, codes: luigi.retcodes.retcode) -> int:
    # The rules of luigi.retcodes.run_with_retcodes (luigi 3.8.1), which exits without exposing the result.
    sets = luigi.execution_summary._summary_dict(result.worker)
    root = luigi.execution_summary._root_task(result.worker)
    conditions = (
        (codes.missing_data, "still_pending_ext"),
        (codes.task_failed, "failed"),
        (codes.already_running, "run_by_other_worker"),
        (codes.scheduling_error, "scheduling_error"),
        (codes.not_run, "not_run"),
    )
    code = max((value for value, status in conditions if sets[status]), default=0)
    if code == 0 and root not in sets["completed"] and root not in sets["already_done"]:
        return codes.not_run
    return code


def run_with_retcodes(argv: list[str]) -> int:
    """``luigi`` for cron: run the command line, post the run summary, return luigi's [retcode] exit code.

    Use as ``sys.exit(run_with_retcodes(sys.argv[1:]))``; the argv is what the ``luigi`` binary takes.
    """
    with CmdlineParser.global_instance(argv):
        codes = luigi.retcodes.retcode()
    try:
        result = luigi.interface._run(argv)
    except luigi.interface.PidLockAlreadyTakenExit:
        post(_run_problem_payload(f":warning: **Luigi run** `{shlex.join(argv)}` not started: already running"))
        return codes.already_running
    except Exception as exc:
        logger.warning("Uncaught exception in luigi:\n%s", redact(traceback.format_exc()))
        error_type, message, tb = _exception_parts(exc)
        post(_run_problem_payload(f":red_circle: **Luigi run** crashed: {error_type}: {_first_line(message)}", tb))
        return codes.unhandled_exception
    # As in luigi: requires() may read parameters given on the command line.
    with CmdlineParser.global_instance(argv):
        report_run(result)
        return _exit_code(result, codes)
