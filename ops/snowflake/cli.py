"""``python -m ops.snowflake bootstrap --plan [--online] | --apply`` and ``python -m ops.snowflake check [--day D]``
(see ops.snowflake.bootstrap and ops.snowflake.check)."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta

from config import secrets
from ops.snowflake import bootstrap, check
from targets.warehouse.connect import backend, connect


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.snowflake", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    boot = commands.add_parser("bootstrap", help="the pipeline's objects on the account: print or run the statements")
    mode = boot.add_mutually_exclusive_group(required=True)
    mode.add_argument("--plan", action="store_true", help="print the statements")
    mode.add_argument("--apply", action="store_true", help="run them on the account")
    boot.add_argument("--online", action="store_true", help="with --plan: also the columns the account's tables lack")
    smoke = commands.add_parser("check", help="a read-only smoke check of the account, printed as a table")
    smoke.add_argument("--day", type=date.fromisoformat, default=date.today() - timedelta(days=1),
                       help="a day whose files have landed (default: yesterday)")  # fmt: skip
    args = parser.parse_args(argv)
    if (args.command == "check" or args.apply or args.online) and backend() != "snowflake":
        print("[warehouse] backend is not snowflake: the embedded warehouse creates its tables itself", file=sys.stderr)
        return 1
    try:
        if args.command == "check":
            return check.main(args.day)
        if args.plan and not args.online:
            statements = bootstrap.statements()
        else:
            with connect("ops:bootstrap", "admin") as session:
                statements = bootstrap.apply(session) if args.apply else bootstrap.statements(session)
    except Exception as exc:  # one line for the operator, never a credential
        print(secrets.redact(f"{type(exc).__name__}: {exc}"), file=sys.stderr)
        return 1
    for sql in statements:
        print(f"{sql};")
    return 0
