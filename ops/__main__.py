"""`python -m ops status|invalidate|backfill FAMILY [--start D --end D] [--param value ...]` (see ops.commands), and
`python -m ops snowflake-check [--day D]` (see ops.snowflake.check)."""

from __future__ import annotations

import argparse
import sys
from datetime import date

import luigi.retcodes

from config import local
from config.local import LocalSettingsError
from config.secrets import MissingSecretError
from ops import commands, selection
from ops.selection import SelectionError
from ops.snowflake import cli as snowflake_cli
from services import console


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["snowflake-check"]:
        return snowflake_cli.main(["check", *argv[1:]])
    parser = argparse.ArgumentParser(prog="python -m ops", description=commands.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("snowflake-check", help="the smoke check of a Snowflake account (python -m ops.snowflake check)")
    for name, text in (
        ("status", "which targets are missing for a task and date range (a dry run)"),
        ("invalidate", "delete markers so the next run redoes exactly those partitions"),
        ("backfill", "run a task over a date range with a progress bar"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("family", help="task family, e.g. LoadSecurityCheckLogs")
        p.add_argument("--start", type=date.fromisoformat, help="first day (YYYY-MM-DD)")
        p.add_argument("--end", type=date.fromisoformat, help="last day, inclusive")
        if name == "invalidate":
            p.add_argument("--downstream", action="store_true", help="also the tasks that depend on them")
            p.add_argument("--root", default="Pipeline", help="entry point whose graph holds the downstream tasks")
            p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        if name == "backfill":
            p.add_argument("--workers", type=int, default=1)
        p.add_argument("--verbose", action="store_true", help="Luigi's scheduling and each task's detail on screen")
    args, rest = parser.parse_known_args(argv)
    try:
        local.apply()
        console.configure(args.verbose)
        return _run(args, rest)
    except SelectionError as exc:
        print(f"python -m ops {args.command}: {exc}", file=sys.stderr)
        return 2
    except (MissingSecretError, LocalSettingsError) as exc:
        print(console.describe(exc), file=sys.stderr)
        return luigi.retcodes.retcode().scheduling_error


def _run(args: argparse.Namespace, rest: list[str]) -> int:
    downstream = args.command == "invalidate" and args.downstream
    # With --downstream, the dates of a family that takes none (a replicated table) are the window of the root.
    dated = selection.takes_dates(args.family) or not downstream
    selected = selection.instances(args.family, *((args.start, args.end) if dated else (None, None)), rest)
    if args.command == "status":
        commands.status(selected)
        return 0
    if args.command == "invalidate":
        chosen = list(selected)
        if downstream:
            chosen += commands.downstream_of(chosen, selection.instances(args.root, args.start, args.end))
        commands.invalidate(chosen, confirm=not args.yes)
        return 0
    daily = "date" in dict(selection.task_class(args.family).get_params())
    return commands.backfill([[t] for t in selected] if daily else [selected], workers=args.workers)


if __name__ == "__main__":
    sys.exit(main())
