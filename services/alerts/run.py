"""``luigi`` for cron: run a command line, post one run summary when anything failed, was disabled or was
left pending, and return Luigi's [retcode] exit code (what ``python -m tasks`` runs).
"""

from __future__ import annotations

import logging
import shlex
import sys
import traceback

import luigi
import luigi.execution_summary
import luigi.interface
import luigi.retcodes
import luigi.worker
from luigi.cmdline_parser import CmdlineParser
from luigi.execution_summary import LuigiRunResult

from config import local
from config.local import LocalSettingsError
from config.secrets import redact
from services import console
from services.alerts.messages import _exception_parts, _first_line, _run_problem_payload, summary_payload
from services.alerts.webhook import post

logger = logging.getLogger("bizops.alerts")


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


def exit_code(result: LuigiRunResult, codes: luigi.retcodes.retcode) -> int:
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

    Use as ``sys.exit(run_with_retcodes(sys.argv[1:]))``; the argv is what the ``luigi`` binary takes, plus
    ``--verbose`` (everything on the console: services.console). The local settings are read first (config.local).
    """
    verbose = "--verbose" in argv
    argv = [arg for arg in argv if arg != "--verbose"]
    try:
        local.apply()
    except LocalSettingsError as exc:
        print(exc, file=sys.stderr)
        return luigi.retcodes.retcode().scheduling_error
    console.configure(verbose)
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
        return exit_code(result, codes)
