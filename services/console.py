"""What a run shows on the console, and what goes to its log file.

The console of ``python -m tasks`` (and ``python -m ops``) shows one line per task that ran - ``done`` with its
outcome (rows, files, nodes: the task's last status message, as the visualiser shows it) or ``FAILED`` with the
error's first line - a ``running`` line for a task still busy after 10 seconds, a line per task whose
``complete()`` fails, every warning, and Luigi's execution summary at the end. The rest - Luigi's scheduling
("Informed scheduler that task ... has status PENDING" for every task), each file loaded, dbt's output - goes to
``[logs] file`` when one is set (``make demo``'s local settings set ``data/logs/pipeline.log``), and to the console
as well with ``--verbose``. Without a log file everything stays on the console: a pod's log is its console.

Logging starts from luigi.cfg's ``[core] logging_conf_file`` (what plain ``luigi`` commands use); Luigi is then
told not to configure it again.
"""

from __future__ import annotations

import logging
import logging.config
import threading
import time
from collections.abc import Callable
from pathlib import Path

import luigi
import luigi.configuration
from luigi.event import Event

from config import local
from config.secrets import MissingSecretError, redact
from config.settings import logs
from services.events import never_raises

logger = logging.getLogger("bizops.progress")
RUNNING_AFTER = 10.0  # seconds: a quicker task gets only its outcome line, a longer one a "running" line first
SUMMARY = "===== Luigi Execution Summary ====="
NAME_CHARS = 100
SHARED = ("end", "days", "slot")  # parameters of the run rather than of the task
_timers: dict[str, tuple[float, threading.Timer]] = {}  # task_id -> (START time, its pending "running" line)
_reported: set[str] = set()  # complete() errors already shown: the same missing setting breaks many tasks
_log_file: Path | None = None


class _Quiet(logging.Filter):
    """The console without --verbose: progress lines, warnings and errors, Luigi's summary. Luigi's own warnings
    and errors about tasks ("Data for ... does not exist (yet?)", "Worker ... failed") are restated by the progress
    lines and its summary; those of its scheduler client (luigid unreachable) stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == logger.name:
            return True
        if record.name.startswith("luigi"):
            return SUMMARY in record.getMessage() or (record.module == "rpc" and record.levelno >= logging.WARNING)
        return record.levelno >= logging.WARNING


class _Plain(logging.Formatter):
    """Progress lines as ``HH:MM:SS text``, Luigi's summary as it is, the rest with level and logger."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self.progress = logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        if record.name == logger.name:
            return self.progress.format(record)
        if record.name.startswith("luigi") and SUMMARY in record.getMessage():
            return record.getMessage().strip("\n")
        return super().format(record)


def configure(verbose: bool = False) -> None:
    """Set up logging for a command: luigi.cfg's logging configuration, the log file, the quiet console unless
    ``verbose``; register the progress lines. Call once, before Luigi runs."""
    global _log_file
    config = luigi.configuration.get_config()
    conf = config.get("core", "logging_conf_file", None)
    if conf:
        logging.config.fileConfig(conf, disable_existing_loggers=False)
    config.set("core", "no_configure_logging", "true")  # Luigi's own setup would replace these handlers
    root = logging.getLogger()
    consoles = [h for h in root.handlers if type(h) is logging.StreamHandler]
    if not consoles:  # no logging configuration: a console of our own
        consoles = [logging.StreamHandler()]
        root.addHandler(consoles[0])
    _log_file = Path(logs().file) if logs().file else None
    if _log_file is not None:
        _log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(_log_file, encoding="utf-8")
        to_file.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
        root.addHandler(to_file)
        if not verbose:
            for handler in consoles:
                handler.addFilter(_Quiet())
                handler.setFormatter(_Plain())
    logger.setLevel(logging.INFO)
    for event, handler in _HANDLERS.items():
        luigi.Task.event_handler(event)(handler)


# --- progress lines (Luigi event handlers: they fire in the process that runs the task) ------------------------


_never_raises = never_raises("bizops.console", "progress line failed")


def name(task: luigi.Task) -> str:
    """The task as ``Family(param=value, ...)``, a batch's joined values shortened to the first and a count, without
    the window and slot every task of a run shares (Luigi's summary names them)."""
    params = []
    for key, value in task.to_str_params(only_significant=True).items():
        if key in SHARED:
            continue
        parts = value.split(",")
        params.append(f"{key}={parts[0]}" + (f" +{len(parts) - 1} more" if len(parts) > 1 else ""))
    text = f"{task.task_family}({', '.join(params)})"
    return text if len(text) <= NAME_CHARS else text[: NAME_CHARS - 1] + "…"


def describe(error: BaseException) -> str:
    """An error as one line: a missing setting with how to set it here, otherwise its type and first line."""
    if isinstance(error, MissingSecretError):
        return redact(local.explain(error))
    first = (redact(str(error)).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first}"


def _shown(task: luigi.Task) -> bool:
    # Wrappers (the pipeline, the catch-up, Luigi's ranges) do nothing of their own.
    return not isinstance(task, luigi.WrapperTask)


@_never_raises
def _on_start(task: luigi.Task) -> None:
    if _shown(task):
        timer = threading.Timer(RUNNING_AFTER, logger.info, ("running %s", name(task)))
        timer.daemon = True
        _timers[task.task_id] = (time.monotonic(), timer)
        timer.start()


def _elapsed(task: luigi.Task) -> str:
    started, timer = _timers.pop(task.task_id, (None, None))
    if timer is not None:
        timer.cancel()
    return "" if started is None else f" in {time.monotonic() - started:.1f} s"


@_never_raises
def _on_success(task: luigi.Task) -> None:
    if _shown(task):
        took = _elapsed(task)
        outcome = getattr(task, "last_status_message", None)
        logger.info("done    %s%s%s", name(task), took, f": {outcome}" if outcome else "")


@_never_raises
def _on_failure(task: luigi.Task, error: BaseException) -> None:
    took = _elapsed(task)
    where = "" if isinstance(error, MissingSecretError) or _log_file is None else f" (traceback in {_log_file})"
    logger.error("FAILED  %s%s: %s%s", name(task), took, describe(error), where)


@_never_raises
def _on_broken_task(task: luigi.Task, error: BaseException) -> None:
    line = describe(error)
    if line not in _reported:  # a missing setting breaks every task that needs it: one line says it
        _reported.add(line)
        logger.error("cannot check %s: %s", name(task), line)


@_never_raises
def _on_dependency_missing(task: luigi.Task) -> None:
    """Luigi fires this when external data is missing (its summary says so) and when complete() raised, without
    the error: asking again gets it - a missing setting raises every time."""
    try:
        task.complete()
    except Exception as error:
        _on_broken_task(task, error)


_HANDLERS: dict[str, Callable[..., None]] = {
    Event.START: _on_start,
    Event.SUCCESS: _on_success,
    Event.FAILURE: _on_failure,
    Event.BROKEN_TASK: _on_broken_task,
    Event.DEPENDENCY_MISSING: _on_dependency_missing,
}
