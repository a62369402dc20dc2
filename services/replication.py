"""Replication of the Heroku Connect tables (Postgres ``orgm.*``) into the warehouse (``raw.orgm.*``).

Key-based incremental on ``sfid`` with ``systemmodstamp`` as the replication key. Each run of a table:

1. DDL, outside any transaction: the warehouse table gets every Postgres column (types mapped from
   information_schema); a column new in Postgres is added (ALTER TABLE ADD COLUMN).
2. Extract: ``COPY (SELECT ... WHERE systemmodstamp >= bookmark - lookback) TO STDOUT`` streamed to a local
   CSV file (never the table in memory), then loaded into a private scratch table (Session.load_csv: DuckDB
   read_csv; Snowflake PUT to the loader's upload stage + COPY); the file is removed once loaded.
3. One warehouse transaction: the changed rows replace their old versions (re-read rows whose
   systemmodstamp did not change are left alone), rows flagged ``isdeleted`` are removed, and so is every
   row whose sfid is listed in ``delete_history__c``; the bookmark advances and the marker is written -
   all DML, so it commits together on both backends.

Incremental runs only append to the warehouse's storage; every ``[replication] compact_after_merges``-th run
of a table, and every full load, also compacts it (on DuckDB: each merge adds a small row group and leaves
its deleted rows in place until then).

A table without a bookmark, or with a Postgres column its last complete load did not have, is reloaded in
full: one transaction deletes its rows and loads the extract in their place (COPY is DML), with the deletes,
the bookmark and the marker - readers see the old rows until the commit, never an empty or half-loaded
table. A full extract copies the table in ranges of its pages, all on one Postgres snapshot: Postgres copies
the next range while the warehouse loads the one before, so the two work at the same time. ``reset`` reloads a
table on demand:

    python -m ops.replication reset <table>
    python -m ops.replication status
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import psycopg2

from config.settings import replication
from targets import identifiers
from targets.markers.target import MarkerTarget, utcnow
from targets.postgres.session import PgColumn, PgSession, quote
from targets.warehouse.session import Session

logger = logging.getLogger("bizops.postgres")

STATE_COLUMNS = (
    ("table_name", "VARCHAR"), ("bookmark", "TIMESTAMP"), ("column_list", "VARCHAR"), ("rows_extracted", "BIGINT"),
    ("rows_upserted", "BIGINT"), ("rows_deleted", "BIGINT"), ("full_load_at", "TIMESTAMP"), ("updated_at", "TIMESTAMP"),
    ("merges_since_compaction", "BIGINT"),
)  # fmt: skip
DELETED_FLAG = "isdeleted"
DELETED_ID = "object_id__c"
# A full extract's page range: 64 MB of 8 KB pages, some 200,000 rows of a Salesforce table. Few statements, and
# the first copy and the last load, which nothing overlaps, stay a small part of a big table's load.
RANGE_PAGES = 8192
TID_RANGE_SCAN = 140000  # server_version of Postgres 14, the first to read a ctid range without a full scan


class ReplicationError(RuntimeError):
    pass


@dataclass
class Outcome:
    table: str
    mode: str  # "full" or "incremental"
    extracted: int = 0  # rows read from Postgres
    upserted: int = 0  # rows written (new or changed)
    deleted: int = 0  # rows removed: flagged isdeleted, or listed in delete_history__c
    bookmark: datetime | None = None
    added_columns: list[str] = field(default_factory=list)
    compacted: bool = False  # the storage was rewritten too (full loads, and every compact_after_merges runs)

    def __str__(self) -> str:
        added = f", new column(s) {', '.join(self.added_columns)}" if self.added_columns else ""
        compacted = ", storage compacted" if self.compacted and self.mode == "incremental" else ""
        return (
            f"{self.table}: {self.mode} load, {self.extracted} rows read, {self.upserted} written, "
            f"{self.deleted} deleted, bookmark {self.bookmark}{added}{compacted}"
        )


@dataclass(frozen=True)
class State:
    bookmark: datetime | None
    columns: tuple[str, ...]
    full_load_at: datetime | None
    merges_since_compaction: int


def target_of(table: str, schema: str | None = None) -> str:
    """The warehouse table a Postgres table replicates into, in ``schema`` (default: [replication] target_schema;
    callers mapping many tables pass it, each read of the settings costs a Luigi config lookup per parameter)."""
    return identifiers.check(f"{schema or replication().target_schema}.{identifiers.check(table, 1)}", 3)


def source_columns(pg: PgSession, table: str) -> list[PgColumn]:
    """The Postgres columns to copy (information_schema order), checked for what replication needs."""
    cfg = replication()
    source = f"{cfg.source_schema}.{table}"
    columns = pg.columns(source)
    if not columns:
        raise ReplicationError(f"Postgres table {source} does not exist")
    excluded = {c.split(".", 1)[1] for c in cfg.exclude_columns if c.startswith(f"{table}.")}
    columns = [c for c in columns if c.name not in excluded]
    names = {c.name for c in columns}
    needed = {cfg.key, cfg.replication_key} | ({DELETED_ID} if table == cfg.delete_history_table else set())
    if missing := sorted(needed - names):
        raise ReplicationError(f"Postgres table {source} lacks column(s) {', '.join(missing)} replication needs")
    for c in columns:
        if c.name != c.name.lower():
            raise ReplicationError(f"{source}.{c.name}: mixed-case column names are not supported")
        identifiers.check(c.name, 1)
        # A text bookmark would compare as strings and break on the first value that is not a time.
        if c.name == cfg.replication_key and not c.data_type.lower().startswith("timestamp"):
            raise ReplicationError(
                f"{source}.{c.name} is {c.data_type}: the replication key must be a timestamp column"
            )
    return columns


def read_state(session: Session, table: str) -> State | None:
    rows = session.execute(
        "SELECT bookmark, column_list, full_load_at, merges_since_compaction FROM "
        f"{identifiers.check(replication().state_table, 3)} WHERE table_name = ?",
        (table,),
    )
    if not rows:
        return None
    bookmark, columns, full_load_at, merges = rows[0]
    return State(bookmark, tuple(c for c in (columns or "").split(",") if c), full_load_at, int(merges or 0))


def extract(
    pg: PgSession,
    table: str,
    columns: Sequence[PgColumn],
    since: datetime | None,
    folder: Path,
    load: Callable[[Path, int], None],
) -> int:
    """Copy the rows (all, or those changed since) with COPY to CSV files in ``folder``, each handed to ``load``
    (file, rows) once complete and removed after it (never the table in memory); the rows copied. Rows without
    a key (created in Postgres, not yet in Salesforce) wait until Heroku Connect gives them one; a full extract
    skips deleted rows and copies the next page range while ``load`` takes the one before."""
    cfg = replication()
    where, params = "TRUE", []
    if since is None and any(c.name == DELETED_FLAG for c in columns):
        where += f" AND NOT coalesce({quote(DELETED_FLAG)}, false)"
    if since is not None:
        where += f" AND {quote(cfg.replication_key)} >= %s"
        params.append(since)
    source = quote(cfg.source_schema + "." + table)
    sql = f"SELECT {', '.join(c.select_expression for c in columns)} FROM {source} WHERE {where}"
    with _snapshot(pg):
        # Counted within the same window as the extract, so an incremental run does not scan the whole table.
        waiting = pg.execute(f"SELECT count(*) FROM {source} WHERE {where} AND {quote(cfg.key)} IS NULL", params)
        if waiting[0][0]:
            logger.warning("%s.%s: %d row(s) without %s wait for Heroku Connect to give them one",
                           cfg.source_schema, table, waiting[0][0], cfg.key)  # fmt: skip
        ranges = page_ranges(pg, source) if since is None else [(0, None)]

        def copy(i: int) -> tuple[Path, int]:
            first, end = ranges[i]
            query, bounds = sql, list(params)
            if first:
                query, bounds = f"{query} AND ctid >= %s::tid", [*bounds, f"({first},0)"]
            if end is not None:
                query, bounds = f"{query} AND ctid < %s::tid", [*bounds, f"({end},0)"]
            path = folder / f"{table}_{i}.csv"
            return path, pg.copy_out(f"{query} AND {quote(cfg.key)} IS NOT NULL", bounds or None, path)

        copied = 0
        for path, rows in _copied(copy, len(ranges)):
            load(path, rows)
            path.unlink()
            copied += rows
    return copied


def _copied(copy: Callable[[int], tuple[Path, int]], ranges: int) -> Iterator[tuple[Path, int]]:
    """The ranges' copies in order, a thread copying the next one while the caller loads the one before; a single
    range (every incremental extract) is copied in the calling thread, which has nothing to overlap it with."""
    if ranges == 1:
        yield copy(0)
        return
    with ThreadPoolExecutor(1, thread_name_prefix="pg-copy") as pool:
        pending = pool.submit(copy, 0)
        for i in range(1, ranges + 1):
            done = pending.result()
            if i < ranges:
                pending = pool.submit(copy, i)
            yield done


def page_ranges(pg: PgSession, source: str) -> list[tuple[int, int | None]]:
    """[first, end) ranges of the table's pages, of RANGE_PAGES each, the last one open (the table may have grown
    since it was measured); one range on a server that would scan the whole table for each."""
    if pg.con.server_version < TID_RANGE_SCAN:
        return [(0, None)]
    size = "SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int"
    starts = list(range(0, max(int(pg.execute(size, (source,))[0][0]), 1), RANGE_PAGES))
    return list(zip(starts, [*starts[1:], None], strict=True))


@contextmanager
def _snapshot(pg: PgSession) -> Iterator[None]:
    """The statements inside read one snapshot of the source: a row updated between two ranges' copies moves to
    another page, and is then read once, as it was at the start."""
    pg.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    try:
        yield
    except BaseException:
        with suppress(psycopg2.Error):  # a broken connection: the server has rolled back
            pg.execute("ROLLBACK")
        raise
    pg.execute("COMMIT")


def replicate_table(
    session: Session,
    pg: PgSession,
    table: str,
    *,
    full: bool = False,
    marker: MarkerTarget | None = None,
    progress: Callable[[str], None] | None = None,
) -> Outcome:
    """Bring the warehouse copy of one table up to date (see the module docstring); ``full`` reloads it."""
    cfg = replication()
    say = progress or (lambda _message: None)
    target = target_of(table)
    # Postgres's catalog is read while the warehouse connects and reads its own: each side mostly waits.
    with ThreadPoolExecutor(1, thread_name_prefix="pg-columns") as pool:
        pending = pool.submit(source_columns, pg, table)
        # 1. DDL, outside the data transaction (Snowflake commits around DDL), after one catalog read.
        history = target_of(cfg.delete_history_table)
        state_table = identifiers.check(cfg.state_table, 3)
        catalog = session.tables_columns([state_table, history, target])
        session.ensure_columns(state_table, STATE_COLUMNS, existing=catalog[state_table])
        if marker is not None:
            marker.prepare(session)
        state = read_state(session, table) if catalog[state_table] else None
        deletes = _delete_history_source(table, catalog[history])
        columns = pending.result()
    names = [c.name for c in columns]
    typed = [(c.name, c.warehouse_type) for c in columns]
    added = session.ensure_columns(target, typed, existing=catalog[target])
    new_columns = sorted(set(names) - set(state.columns)) if state else names
    bookmark = state.bookmark if state else None
    if new_columns and bookmark is not None:
        logger.info("%s: column(s) %s new since the last full load: reloading in full", target, new_columns)
    # An incremental run reads the rows changed since the bookmark, re-reading the lookback before it.
    window = None
    if not (full or new_columns or bookmark is None):
        window = (bookmark - timedelta(minutes=cfg.lookback_minutes), bookmark)
    full = window is None
    compact = full or (state is not None and state.merges_since_compaction + 1 >= cfg.compact_after_merges)
    outcome = Outcome(target, "full" if full else "incremental", added_columns=added, compacted=compact)
    # A full load replaces all the table's storage: its commit has nothing to compact, and folding together the
    # partial row groups its page ranges end with would rewrite much of what it has just written.
    session.prepare_merge(compact and not full)

    since = window[0] if window else None
    say(f"{target}: extracting and loading {'all rows' if since is None else f'rows changed since {since}'}")
    with tempfile.TemporaryDirectory(prefix=f"replicate_{table}_", dir=cfg.temp_dir) as tmp:
        # 2. Extract: Postgres COPY streamed to local files, each loaded (_load) once complete.
        # 3. One transaction: data, deletes, bookmark and marker commit together.
        if window is None:  # the extract replaces the table's rows; readers see the old rows until the commit
            with session.transaction():
                load = partial(_load, session, target, target, names)
                copy = partial(extract, pg, table, columns, None, Path(tmp), load)
                outcome.upserted, outcome.deleted = _replace(session, target, copy)
                outcome.extracted = outcome.upserted
                seen = session.execute(f"SELECT max({cfg.replication_key}) FROM {target}")[0][0]
                _finish(session, table, names, deletes, outcome, seen, marker)
        else:  # staged in a private table, then merged
            with session.scratch_table(target, typed) as scratch:
                load = partial(_load, session, target, scratch, names)
                outcome.extracted = extract(pg, table, columns, since, Path(tmp), load)
                with session.transaction():
                    seen = session.execute(f"SELECT max({cfg.replication_key}) FROM {scratch}")[0][0]
                    outcome.upserted, outcome.deleted = _merge(session, target, scratch, names, *window)
                    _finish(session, table, names, deletes, outcome, seen, marker)
    logger.info("%s", outcome)
    return outcome


def _load(session: Session, target: str, table: str, names: Sequence[str], path: Path, rows: int) -> None:
    """Append a CSV file of ``rows`` rows of ``target`` to ``table`` (the target or its scratch table)."""
    loaded = session.load_csv(table, names, path) if rows else 0
    if loaded != rows:
        raise ReplicationError(f"{target}: {rows} rows extracted from Postgres but {loaded} loaded")


def _finish(
    session: Session,
    table: str,
    names: Sequence[str],
    deletes: str | None,
    outcome: Outcome,
    seen: datetime | None,
    marker: MarkerTarget | None,
) -> None:
    """In the data transaction: deletes the history lists (``deletes``: their query), the bookmark, the marker."""
    if deletes:
        outcome.deleted += _delete_listed(session, outcome.table, deletes)
    current = read_state(session, table)  # read again inside the transaction: never move the bookmark back
    marks = [b for b in (seen, current.bookmark if current else None) if b is not None]
    outcome.bookmark = max(marks) if marks else None
    _write_state(session, table, names, outcome, current)
    if marker is not None:
        marker.write(session, outcome.upserted + outcome.deleted)


def _replace(session: Session, target: str, copy: Callable[[], int]) -> tuple[int, int]:
    """In the caller's transaction: the table's rows deleted, and ``copy`` loading the extract in their place;
    (rows loaded, rows gone)."""
    before = int(session.execute(f"DELETE FROM {target}")[0][0])  # the rows the table had
    loaded = copy()
    if loaded == 0 and before:  # the transaction rolls back: the table keeps its rows
        raise ReplicationError(
            f"refusing to replace the {before} rows of {target} with an empty extract from Postgres; if the table "
            "really is empty now, delete the warehouse copy's rows by hand"
        )
    return loaded, max(before - loaded, 0)


def _merge(
    session: Session, target: str, scratch: str, names: Sequence[str], since: datetime, bookmark: datetime
) -> tuple[int, int]:
    cfg = replication()
    key, stamp, cols = cfg.key, cfg.replication_key, ", ".join(names)
    # Re-read rows (the lookback) whose replication key did not move are not changes: leave them alone. Only
    # rows at or before the bookmark can be such re-reads (every warehouse row is), and they match warehouse
    # rows from ``since`` on: the join skips the new rows and the warehouse's blocks before the window.
    session.execute(
        f"DELETE FROM {scratch} WHERE {key} IN (SELECT s.{key} FROM {scratch} s JOIN {target} t "
        f"ON t.{key} = s.{key} AND t.{stamp} = s.{stamp} WHERE s.{stamp} <= ? AND t.{stamp} >= ?)",
        (bookmark, since),
    )
    live = f"NOT coalesce({DELETED_FLAG}, false)" if DELETED_FLAG in names else "1 = 1"
    flagged = 0
    if DELETED_FLAG in names:
        flagged = session.execute(
            f"SELECT count(*) FROM {scratch} WHERE {DELETED_FLAG} AND {key} IN (SELECT {key} FROM {target})"
        )[0][0]
    session.execute(f"DELETE FROM {target} WHERE {key} IN (SELECT {key} FROM {scratch})")
    inserted = session.execute(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {scratch} WHERE {live}")[0][0]
    return int(inserted), int(flagged)


def _delete_history_source(table: str, history_columns: Sequence[tuple[str, str]]) -> str | None:
    """The query of the ids the warehouse copy of delete_history__c (of these columns) lists, when it exists
    and this is another table."""
    cfg = replication()
    if table == cfg.delete_history_table:
        return None
    source = target_of(cfg.delete_history_table)
    columns = dict(history_columns)
    if not columns:
        logger.warning("%s not replicated yet: deletes it lists are applied to %s at its next run", source, table)
        return None
    live = f"NOT coalesce({DELETED_FLAG}, false)" if DELETED_FLAG in columns else "1 = 1"
    return f"SELECT {DELETED_ID} FROM {source} WHERE {DELETED_ID} IS NOT NULL AND {live}"


def _delete_listed(session: Session, target: str, deletes: str) -> int:
    """Remove the rows deleted in Salesforce that Heroku Connect never flagged: every run checks the whole
    delete history (a timestamp window would miss entries recorded late, and their rows would stay)."""
    removed = session.execute(f"DELETE FROM {target} WHERE {replication().key} IN ({deletes})")
    return int(removed[0][0]) if removed else 0


def forget_bookmark(session: Session, table: str) -> None:
    """Drop the table's bookmark in the caller's transaction: its next replication reloads it in full, replacing its
    rows in one transaction (never empty), as ``python -m ops.replication reset`` does at once."""
    state_table = identifiers.check(replication().state_table, 3)
    if session.table_columns(state_table):
        session.execute(f"DELETE FROM {state_table} WHERE table_name = ?", (table,))


def _write_state(session: Session, table: str, names: Sequence[str], outcome: Outcome, current: State | None) -> None:
    state_table = replication().state_table
    now = utcnow()
    full_load_at = now if outcome.mode == "full" else (current.full_load_at if current else None)
    merges = 0 if outcome.compacted else (current.merges_since_compaction if current else 0) + 1
    session.execute(f"DELETE FROM {state_table} WHERE table_name = ?", (table,))
    session.execute(
        f"INSERT INTO {state_table} (table_name, bookmark, column_list, rows_extracted, rows_upserted, rows_deleted, "
        "full_load_at, updated_at, merges_since_compaction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (table, outcome.bookmark, ",".join(names), outcome.extracted, outcome.upserted, outcome.deleted,
         full_load_at, now, merges),
    )  # fmt: skip
