"""Alert messages for a Mattermost incoming webhook: one per failed task, one summary per luigi run.

Every string goes through ``config.secrets.redact``, and text is cut only after redaction (a cut could leave a
secret's prefix that redaction no longer recognises). The builders never raise into Luigi: an alert must never
mask a task's own failure or change the exit code.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import socket
import sys
import traceback
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import luigi
import luigi.execution_summary
import luigi.interface
import luigi.retcodes
import luigi.worker
from luigi.contrib.external_program import ExternalProgramRunError
from luigi.event import Event
from luigi.execution_summary import LuigiRunResult

from config import settings
from config.secrets import redact

logger = logging.getLogger("bizops.alerts")

Payload = dict[str, Any]

TEXT_LIMIT = 16_383  # Mattermost: runes of `text` per post (longer text is split into several posts)
FOOTER_LIMIT = 300  # Mattermost: attachment footer
FIRST_LINE_CHARS = 500
TRACEBACK_LINES = 40
TRACEBACK_CHARS = 8_000
MESSAGE_LINES = 10  # of a long exception message (a dbt failure list), the head kept beside the frames
MESSAGE_CHARS = 2_000
STDERR_LINES = 20
PARAMETERS_CHARS = 2_000
RED, AMBER = "#d0021b", "#f2a900"

_STAGES = {
    Event.FAILURE: "run() failed",
    Event.PROCESS_FAILURE: "worker process died",
    Event.TIMEOUT: "timed out",
    Event.BROKEN_TASK: "not scheduled: requires()/deps() raised",
    Event.DEPENDENCY_MISSING: "not scheduled: complete() raised",
}
# ExternalProgramRunError.__str__ ends with the whole environment; dropped from any text, whatever wraps it.
_ENV_DUMP = re.compile(r"ENVIRONMENT: (?!\[dropped\]).*?(?:\x1b\[m|\Z)", re.DOTALL)  # not its own mark
_TIMED_OUT_AFTER = re.compile(r"timed out after ([\d.]+) seconds")


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


def _message_start(lines: list[str]) -> int:
    """Where the final exception's message starts in a formatted traceback: the first line after the frames (all
    indented) of the last "Traceback" header; 0 when there is no traceback, only a message."""
    headers = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last):")]
    if not headers:
        return 0
    start = headers[-1] + 1
    while start < len(lines) and lines[start].startswith(" "):
        start += 1
    return start


def _traceback_excerpt(text: str) -> str:
    """A traceback (already redacted) within TRACEBACK_LINES lines and TRACEBACK_CHARS: the head of the exception's
    message and the innermost frames. A long message keeps its first MESSAGE_LINES lines (MESSAGE_CHARS) at least,
    the frames the rest of the room: neither pushes the other out."""
    lines = text.rstrip().splitlines()
    start = _message_start(lines)
    frames, message = "\n".join(lines[:start]), lines[start:]
    room_lines = max(MESSAGE_LINES, TRACEBACK_LINES - start)
    if len(message) > room_lines:
        message = [*message[: room_lines - 1], f"… ({len(message) - room_lines + 1} more lines)"]
    head = _truncate("\n".join(message), max(MESSAGE_CHARS, TRACEBACK_CHARS - len(frames) - 1))
    if not frames:
        return head
    room = TRACEBACK_CHARS - len(head) - 1
    return _truncate(_tail(frames, TRACEBACK_LINES - len(message)), room, keep_end=True) + "\n" + head


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
        "text": _code_block(_traceback_excerpt(_clean(tb or message))),
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
        attachment["text"] = _code_block(_traceback_excerpt(_clean(tb)))
    return _finish({"text": text, "attachments": [attachment]})
