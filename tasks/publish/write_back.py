"""The reverse-ETL queue: warehouse tables that dbt models queue (``pg_import`` post-hook, table
``analytics.util.pg_imports``) are copied into Postgres and post-processed there.

For every queued (source, destination, post-process) with ``processed_at`` NULL:

1. the warehouse table X is unloaded to a local CSV file (Session.unload_csv: streamed);
2. in ONE Postgres transaction: refuse a result that is too small (below ``[write_back] min_rows``, or
   below ``min_share_of_current`` of Y's current rows - a broken build must not wipe Salesforce), then
   DROP and CREATE Y with types mapped from X's columns (schema drift in X recreates Y), COPY the file in,
   run ``sql/postgres/post_process/<name>.sql`` statement by statement (stopping at the first error), commit;
3. the queue rows are marked processed, with the rows copied.

A refused or failed request leaves Y untouched and its queue rows unprocessed (retried by the next drain);
the other requests still go through, then the task fails naming every failure. A crash between the
Postgres commit and step 3 repeats the request next time, which gives the same result.
"""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from config.settings import write_back
from targets import identifiers
from targets.postgres.session import PgSession, pg_type, quote, split_name
from targets.postgres.statements import Statement, split_statements
from targets.warehouse.session import Profile, Session
from tasks.base import WarehouseTask
from tasks.params import MinuteSlotParameter, PastDayParameter, WindowDaysParameter, utcnow
from tasks.publish.scripts import run_statements
from tasks.transform.dbt import DbtBuild

logger = logging.getLogger("bizops.postgres")

QUEUE_COLUMNS = (
    ("source_table", "VARCHAR"), ("destination_table", "VARCHAR"), ("created_at", "TIMESTAMP"),
    ("post_process_file", "VARCHAR"), ("processed_at", "TIMESTAMP"), ("rows_affected", "BIGINT"),
)  # fmt: skip
_POST_PROCESS = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")


class WriteBackError(RuntimeError):
    pass


class WriteBackRefusedError(WriteBackError):
    """The result is too small to replace the Postgres table with."""


@dataclass(frozen=True)
class Request:
    source_table: str
    destination_table: str
    post_process_file: str | None
    created_at: datetime | None  # the newest queue row it covers
    queued: int  # unprocessed queue rows it covers

    def __str__(self) -> str:
        post = f" + {self.post_process_file}" if self.post_process_file else ""
        return f"{self.source_table} -> {self.destination_table}{post}"


def queue_table() -> str:
    return identifiers.check(write_back().queue_table, 3)


def pending(session: Session) -> list[Request]:
    """Unprocessed queue rows, one request per (source, destination, post-process), oldest first."""
    rows = session.execute(
        f"SELECT source_table, destination_table, post_process_file, max(created_at), count(*) FROM {queue_table()} "
        "WHERE processed_at IS NULL GROUP BY source_table, destination_table, post_process_file "
        "ORDER BY min(created_at), source_table, destination_table"
    )
    return [Request(s, d, p or None, c, int(n)) for s, d, p, c, n in rows]


def post_process(name: str | None) -> tuple[Path, list[Statement]] | None:
    """The post-process file named by a queue row (with or without .sql), parsed."""
    if not name:
        return None
    stem = name[: -len(".sql")] if name.endswith(".sql") else name
    if not _POST_PROCESS.match(stem):
        raise WriteBackError(f"post-process {name!r}: expected a file stem of lowercase words joined by underscores")
    path = Path(write_back().post_process_dir) / f"{stem}.sql"
    if not path.is_file():
        raise WriteBackError(f"post-process {name!r}: no file {path}")
    return path, split_statements(path.read_text(encoding="utf-8"), path.name)


def minimum_rows(destination: str, current: int) -> tuple[int, str]:
    cfg = write_back()
    floor = int(cfg.min_rows_by_destination.get(destination, cfg.min_rows))
    share = int(current * cfg.min_share_of_current) if current else 0
    if share > floor:
        return share, f"{cfg.min_share_of_current:.0%} of its {current} rows now ([write_back] min_share_of_current)"
    per_destination = " (per destination)" if destination in cfg.min_rows_by_destination else ""
    return floor, f"[write_back] min_rows{per_destination}"


def write_back_one(session: Session, pg: PgSession, request: Request) -> int:
    """Copy one warehouse table into Postgres and post-process it, in one Postgres transaction; rows copied."""
    cfg = write_back()
    source = identifiers.check(request.source_table.lower(), 3)
    destination = request.destination_table.lower()
    schema, _ = split_name(destination)
    columns = session.table_columns(source)
    if not columns:
        raise WriteBackError(f"{source} does not exist in the warehouse")
    names = [name for name, _ in columns]
    post = post_process(request.post_process_file)  # a bad file fails before any work
    with tempfile.TemporaryDirectory(prefix="write_back_", dir=cfg.temp_dir) as tmp:
        path = Path(tmp) / "unload.csv"
        unloaded = session.unload_csv(source, names, path, fetch_rows=cfg.fetch_rows)
        with pg.transaction():
            exists = pg.execute("SELECT to_regclass(%s)", (quote(destination),))[0][0] is not None
            current = pg.execute(f"SELECT count(*) FROM {quote(destination)}")[0][0] if exists else 0
            needed, rule = minimum_rows(destination, current)
            if unloaded < needed:
                raise WriteBackRefusedError(
                    f"{request}: refusing to replace {destination} ({current} rows) with {unloaded} rows from "
                    f"{source}: fewer than {needed}, {rule}; {destination} is unchanged and the queue row stays "
                    "unprocessed"
                )
            pg.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
            pg.execute(f"DROP TABLE IF EXISTS {quote(destination)}")
            typed = ", ".join(f"{quote(n)} {pg_type(t)}" for n, t in columns)
            pg.execute(f"CREATE TABLE {quote(destination)} ({typed})")
            copied = pg.copy_in(destination, names, path)
            if copied != unloaded:
                raise WriteBackError(f"{request}: {unloaded} rows unloaded but {copied} copied into {destination}")
            if post is not None:
                run_statements(pg, post[0].name, post[1])
    return unloaded


def mark_processed(session: Session, request: Request, rows: int) -> None:
    where = "source_table = ? AND destination_table = ? AND processed_at IS NULL"
    params: list = [request.source_table, request.destination_table]
    if request.post_process_file:
        where += " AND post_process_file = ?"
        params.append(request.post_process_file)
    else:
        where += " AND (post_process_file IS NULL OR post_process_file = '')"
    if request.created_at is not None:
        where += " AND (created_at IS NULL OR created_at <= ?)"  # rows queued meanwhile wait for the next drain
        params.append(request.created_at)
    session.execute(f"UPDATE {queue_table()} SET processed_at = ?, rows_affected = ? WHERE {where}",
                    (utcnow(), rows, *params))  # fmt: skip


class DrainWriteBackQueue(WarehouseTask):
    """Copy every queued warehouse table into Postgres (see the module docstring); once per slot."""

    slot = MinuteSlotParameter(
        lambda: write_back().slot_minutes,
        description="Drain slot (UTC, floored to [write_back] slot_minutes); default: the current one.",
    )
    end = PastDayParameter(default=None, description="Last day of the models' window (default: yesterday).")
    days = WindowDaysParameter(default=None, description="Window length (default: [loading] catchup_days).")
    profile: ClassVar[Profile] = "transformer"
    atomic: ClassVar[bool] = False  # each request commits on its own; the marker says the slot's drain ran

    @property
    def target_table(self) -> str:  # type: ignore[override]
        return queue_table()

    def partition(self) -> str:
        return f"{self.slot:%Y-%m-%dT%H%M}"

    def requires(self) -> DbtBuild:
        """The frequent models queue their tables (dbt post-hooks); drain after they are built."""
        return DbtBuild(selection="frequent", end=self.end, days=self.days)

    def prepare(self, session: Session) -> None:
        session.ensure_table(queue_table(), QUEUE_COLUMNS)

    def work(self, session: Session) -> int:
        requests = pending(session)
        failures: list[tuple[Request, Exception]] = []
        copied = 0
        with PgSession("pg-import") as pg:
            for done, request in enumerate(requests):
                self.report(f"{done}/{len(requests)} write-backs done; now {request}")
                try:
                    rows = write_back_one(session, pg, request)
                except Exception as exc:  # one bad request must not block the others; all fail the task below
                    logger.error("write-back %s failed: %s", request, exc)
                    failures.append((request, exc))
                    continue
                mark_processed(session, request, rows)
                copied += rows
                logger.info("write-back %s: %d rows (%d queue rows)", request, rows, request.queued)
        if failures:
            detail = "; ".join(f"{exc}" for _, exc in failures)
            first = failures[0][1]
            raise WriteBackError(f"{len(failures)} of {len(requests)} write-back(s) failed: {detail}") from first
        self.report(f"{len(requests)} write-backs done, {copied} rows")
        return copied
