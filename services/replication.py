"""Replication of the Heroku Connect tables (Postgres ``orgm.*``) into the warehouse (``raw.orgm.*``).

Key-based incremental on ``sfid`` with ``systemmodstamp`` as the replication key. Each run of a table:

1. DDL, outside any transaction: the warehouse table gets every Postgres column (types mapped from
   information_schema); a column new in Postgres is added (ALTER TABLE ADD COLUMN).
2. Extract: ``COPY (SELECT ... WHERE systemmodstamp >= bookmark - lookback) TO STDOUT`` streamed to a local
   CSV file (never the table in memory), then loaded into a private scratch table (Session.load_csv: DuckDB
   read_csv; Snowflake PUT to the loader's upload stage + COPY).
3. One warehouse transaction: the changed rows replace their old versions (re-read rows whose
   systemmodstamp did not change are left alone), rows flagged ``isdeleted`` are removed, and so is every
   row whose sfid is listed in ``delete_history__c``; the bookmark advances and the marker is written -
   all DML, so it commits together on both backends.

Incremental runs only append to the warehouse's storage; every ``[replication] compact_after_merges``-th run
of a table, and every full load, also compacts it (on DuckDB: each merge adds a small row group and leaves
its deleted rows in place until then).

A table without a bookmark, or with a Postgres column its last complete load did not have, is reloaded in
full: one transaction deletes its rows and loads the file in their place (COPY is DML), with the deletes,
the bookmark and the marker - readers see the old rows until the commit, never an empty or half-loaded
table. ``reset`` does that on demand:

    python -m ops.replication reset <table>
    python -m ops.replication status
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

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
    pg: PgSession, table: str, columns: Sequence[PgColumn], since: datetime | None, path: Path, live_only: bool
) -> int:
    """Stream the rows (all, or those changed since) to a CSV file with COPY. Rows without a key (created in
    Postgres, not yet in Salesforce) wait until Heroku Connect gives them one; a full load skips deleted rows."""
    cfg = replication()
    where = "TRUE"
    if live_only and any(c.name == DELETED_FLAG for c in columns):
        where += f" AND NOT coalesce({quote(DELETED_FLAG)}, false)"
    if since is not None:
        where += f" AND {quote(cfg.replication_key)} >= %s"
    params = (since,) if since is not None else None
    source = quote(cfg.source_schema + "." + table)
    # Counted within the same window as the extract, so an incremental run does not scan the whole table.
    waiting = pg.execute(f"SELECT count(*) FROM {source} WHERE {where} AND {quote(cfg.key)} IS NULL", params)[0][0]
    if waiting:
        logger.warning("%s.%s: %d row(s) without %s wait for Heroku Connect to give them one", cfg.source_schema,
                       table, waiting, cfg.key)  # fmt: skip
    sql = f"SELECT {', '.join(c.select_expression for c in columns)} FROM {source} "
    return pg.copy_out(sql + f"WHERE {where} AND {quote(cfg.key)} IS NOT NULL", params, path)


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
    session.prepare_merge(compact)

    with tempfile.TemporaryDirectory(prefix=f"replicate_{table}_", dir=cfg.temp_dir) as tmp:
        # 2. Extract: Postgres COPY streamed to a local file.
        path = Path(tmp) / f"{table}.csv"
        say(f"{target}: extracting {f'rows changed since {window[0]}' if window else 'all rows'}")
        outcome.extracted = extract(pg, table, columns, window[0] if window else None, path, live_only=full)
        say(f"{target}: loading {outcome.extracted} rows")
        # 3. One transaction: data, deletes, bookmark and marker commit together.
        if window is None:  # the file replaces the table's rows; readers see the old rows until the commit
            with session.transaction():
                outcome.upserted, outcome.deleted = _replace(session, target, names, path, outcome.extracted)
                seen = session.execute(f"SELECT max({cfg.replication_key}) FROM {target}")[0][0]
                _finish(session, table, names, deletes, outcome, seen, marker)
        else:  # staged in a private table, then merged
            with session.scratch_table(target, typed) as scratch:
                if outcome.extracted:
                    _check_loaded(target, outcome.extracted, session.load_csv(scratch, names, path))
                path.unlink()
                with session.transaction():
                    seen = session.execute(f"SELECT max({cfg.replication_key}) FROM {scratch}")[0][0]
                    outcome.upserted, outcome.deleted = _merge(session, target, scratch, names, *window)
                    _finish(session, table, names, deletes, outcome, seen, marker)
    logger.info("%s", outcome)
    return outcome


def _check_loaded(target: str, extracted: int, loaded: int) -> int:
    if loaded != extracted:
        raise ReplicationError(f"{target}: {extracted} rows extracted from Postgres but {loaded} loaded")
    return loaded


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


def _replace(session: Session, target: str, names: Sequence[str], path: Path, extracted: int) -> tuple[int, int]:
    before = int(session.execute(f"SELECT count(*) FROM {target}")[0][0])
    if extracted == 0 and before:
        raise ReplicationError(
            f"refusing to replace the {before} rows of {target} with an empty extract from Postgres; if the table "
            "really is empty now, delete the warehouse copy's rows by hand"
        )
    session.execute(f"DELETE FROM {target}")
    loaded = _check_loaded(target, extracted, session.load_csv(target, names, path) if extracted else 0)
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
