"""``python -m ops.replication reset <table>``: reload one orgm table in full now, without a moment where it is
empty; ``python -m ops.replication status``: bookmark and last full load of every replicated table.
"""

from __future__ import annotations

import argparse
import logging
import sys

from config import secrets
from config.settings import replication
from services.replication import STATE_COLUMNS, Outcome, replicate_table
from targets import identifiers
from targets.postgres.session import PgSession
from targets.warehouse.connect import backend, connect
from tasks.extract.replication import ReplicateOrgmTable

logger = logging.getLogger("bizops.postgres")


# -- ops -------------------------------------------------------------------------------------------


def reset(table: str) -> Outcome:
    """Reload one table in full now: staged beside it, then replaced in one transaction (never empty)."""
    secrets.require(ReplicateOrgmTable.get_task_family(), backend())
    with connect(f"ops:reset:{table}", "loader") as session, PgSession(f"replicate-reset-{table}") as pg:
        return replicate_table(session, pg, table, full=True, progress=logger.info)


def status() -> list[tuple]:
    """(table, bookmark, full_load_at, updated_at) of every table replicated so far."""
    table = identifiers.check(replication().state_table, 3)
    with connect("ops:replication-status", "loader") as session:
        session.ensure_table(table, STATE_COLUMNS)
        return session.execute(f"SELECT table_name, bookmark, full_load_at, updated_at FROM {table} ORDER BY 1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.replication", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("reset", help="reload one table in full, without a moment where it is empty").add_argument(
        "table", help="the orgm table, e.g. account"
    )
    sub.add_parser("status", help="bookmark and last full load of every replicated table")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.command == "reset":
        print(reset(args.table))
        return 0
    for name, bookmark, full_load_at, updated_at in status():
        print(f"{name}: bookmark {bookmark}, last full load {full_load_at}, updated {updated_at}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
