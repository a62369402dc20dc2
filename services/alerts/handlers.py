"""Luigi event handlers that post a failure alert per task. ``register()`` installs them on every
``luigi.Task``; the module that ``luigi --module`` loads calls it (``tasks/__init__.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import luigi
import luigi.execution_summary
import luigi.interface
import luigi.retcodes
import luigi.worker
from luigi.event import Event

from services.alerts.messages import (
    _TIMED_OUT_AFTER,
    _complete_traceback,
    _exception_parts,
    _final_exception,
    failure_payload,
)
from services.alerts.webhook import post
from services.events import never_raises

logger = logging.getLogger("bizops.alerts")
_started: dict[str, float] = {}  # task_id -> START time; FAILURE fires in the same process as START


# --- Luigi event handlers -------------------------------------------------------------------------------------


_never_raises = never_raises("bizops.alerts", "Mattermost alert not sent, the alert code failed")


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
