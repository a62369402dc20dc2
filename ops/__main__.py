"""`python -m ops status|invalidate|backfill FAMILY [--start D --end D] [--param value ...]` (see ops.commands)."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from ops import commands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops", description=commands.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
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
    args, rest = parser.parse_known_args(argv)
    params = dict(zip([k.lstrip("-").replace("-", "_") for k in rest[::2]], rest[1::2], strict=False))
    selected = commands.instances(args.family, args.start, args.end, params)
    if args.command == "status":
        commands.status(selected)
        return 0
    if args.command == "invalidate":
        chosen = list(selected)
        if args.downstream:
            roots = commands.instances(args.root, args.start, args.end, {})
            chosen += commands.downstream_of(chosen, roots)
        commands.invalidate(chosen, confirm=not args.yes)
        return 0
    return 0 if commands.backfill([[t] for t in selected], workers=args.workers) else 1


if __name__ == "__main__":
    sys.exit(main())
