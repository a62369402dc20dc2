"""``python -m ops.roles validate [SPEC]`` and ``python -m ops.roles plan [SPEC] [--online]``: config/roles.yml
checked offline, and the statements permifrost would run.
"""

from __future__ import annotations

import argparse
import sys

import sqlalchemy.exc

from config import secrets as registry
from services.permifrost import DEFAULT_SPEC, InvalidSpecError, PermifrostError, plan, validate


# -- CLI -------------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.roles", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("validate", help="check the spec offline; exit 1 listing the problems")
    show = commands.add_parser("plan", help="print the statements permifrost would run (dry run)")
    for sub in (check, show):
        sub.add_argument("spec", nargs="?", default=str(DEFAULT_SPEC), help="default: config/roles.yml")
    show.add_argument("--online", action="store_true", help="ask the account (PERMISSION_BOT_* set): only changes")
    args = parser.parse_args(argv)
    try:
        if args.command == "validate":
            problems = validate(args.spec)
            if problems:
                raise InvalidSpecError(args.spec, problems)
            print(f"{args.spec}: valid")
        else:
            for sql in plan(args.spec, online=args.online):
                print(f"{sql};")
    except (InvalidSpecError, PermifrostError, registry.MissingSecretError, sqlalchemy.exc.SQLAlchemyError) as exc:
        print(registry.redact(str(exc)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
