"""Bad input: damaged, empty, malformed and oversized files among a day's good ones, and bad rows in Postgres.
Each must give a clear error or a counted reject naming its file and line - and nothing else of the run may be
lost: every other file, day and table equals the clean run's, row for row. A day whose rejects fail it keeps none
of its rows (no mart may read a failed day): its files wait, marked for reloading, and a failure marker says why."""

from __future__ import annotations

import collections
import gzip
import shutil
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest

import devdata
from devdata.cloudfront import header as cloudfront_header
from tests.reliability import harness
from tests.reliability.harness import Baseline, Ledger, Relation, State, World

LOCATION = devdata.LOCATIONS["DIAGNOSTIC_LOCATION_ONE"]
DIAGNOSTICS = "raw.diagnostics.log_entries"
LICENSES = "raw.licenses.licenses"
HEADER = "".join(line + "\n" for line in cloudfront_header(wide=False))  # the 26-field format
HEADER_LINES = 2


@dataclass(frozen=True)
class BadFile:
    """A file landed beside the day's good ones. ``lines`` are its data lines as written (header excluded);
    ``rejected`` the file lines (1-based, header included) that must come back as rejects."""

    key: str  # relative to the landing root
    data: bytes
    table: str
    lines: tuple[str, ...]
    rejected: frozenset[int]
    damaged: bool = False  # the compressed stream is broken: no row may load that is not one of ``lines``
    fails_day: bool = False  # its rejects exceed max_reject_share: the day fails, naming the file and a line

    @property
    def name(self) -> str:
        return self.key.split("/", 1)[1]  # the stage-relative path, as in _file


def good_lines(world: World) -> list[str]:
    """Data lines of the generated security-check files with the plain 26 fields: copies of lines loaded anyway,
    so the marts built on them do not change."""
    dirty = {p.key for p in world.dataset.dirt.malformed_lines + world.dataset.dirt.wide_lines}
    lines = []
    for f in world.dataset.files:
        if f.key.startswith(f"diagnostics/{LOCATION}/") and f.key not in dirty:
            lines += [line for line in gzip.decompress(f.data).decode().splitlines() if not line.startswith("#")]
    return lines


def cloudfront(world: World, tag: str, body: list[str], rejected: Collection[int] = (), **kw: bool) -> BadFile:
    day = world.first + timedelta(days=1)
    key = f"diagnostics/{LOCATION}/{LOCATION}.{day}-23.{tag}.gz"
    data = gzip.compress((HEADER + "".join(line + "\n" for line in body)).encode("utf-8", "surrogateescape"))
    return BadFile(key, data, DIAGNOSTICS, tuple(body), frozenset(rejected), **kw)


def with_field(line: str, index: int, value: str) -> str:
    fields = line.split("\t")
    fields[index] = value
    return "\t".join(fields)


def wrong_field_count(world: World) -> BadFile:
    good = good_lines(world)[:20]
    body = good[:10] + ["a\tb\tc\td\te", "\t".join(["x"] * 40)] + good[10:]
    return cloudfront(world, "wrongfields", body, {HEADER_LINES + 11, HEADER_LINES + 12})


def non_utf8(world: World) -> BadFile:
    good = good_lines(world)[:20]
    body = [*good[:10], with_field(good[10], 10, "Mozilla/5.0 \udcff\udcfe (latin-1 bytes)"), *good[11:]]
    return cloudfront(world, "nonutf8", body, {HEADER_LINES + 11})


def line_of_20_mb(world: World) -> BadFile:
    good = good_lines(world)[:20]
    body = [*good[:10], with_field(good[10], 7, "/" + "a" * 20_000_000), *good[11:]]
    return cloudfront(world, "hugeline", body, {HEADER_LINES + 11})


def empty_gzip_stream(world: World) -> BadFile:
    return cloudfront(world, "emptystream", [])


def empty_file(world: World) -> BadFile:
    bad = cloudfront(world, "zerobytes", [])
    return BadFile(bad.key, b"", bad.table, (), frozenset(), damaged=True)


def truncated_gzip(world: World) -> BadFile:
    body = good_lines(world) * 100  # long enough to span deflate blocks
    whole = cloudfront(world, "truncated", body, damaged=True)
    return BadFile(whole.key, whole.data[: len(whole.data) * 2 // 3], whole.table, whole.lines, frozenset(), True)


def corrupt_gzip(world: World) -> BadFile:
    """64 bytes zeroed in the middle of the deflate stream (a bad disk block or a broken transfer)."""
    body = good_lines(world) * 100
    whole = cloudfront(world, "corrupt", body, damaged=True)
    data = bytearray(whole.data)
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    return BadFile(whole.key, bytes(data), whole.table, whole.lines, frozenset(), True)


def license_missing_column(world: World) -> BadFile:
    day = world.first + timedelta(days=1)
    export = next(f for f in world.dataset.files if f.key == f"licenses/{day}/licenses-{day}.csv")
    # The stripeid column is gone from the export, e.g. after a change upstream: 7 fields a line.
    lines = [",".join(p for i, p in enumerate(line.split(",")) if i != 4) for line in export.data.decode().splitlines()]
    lines = [line for line in lines if line.count('"') == 0][:5]  # no quoted commas: exactly 7 fields
    key = f"licenses/{day}/licenses-extra-{day}.csv"
    data = "".join(line + "\n" for line in lines).encode()
    return BadFile(key, data, LICENSES, tuple(lines), frozenset(range(1, len(lines) + 1)), fails_day=True)


CASES: dict[str, Callable[[World], BadFile]] = {
    "corrupt gzip (64 bytes zeroed mid-stream)": corrupt_gzip,
    "truncated gzip": truncated_gzip,
    "empty file (0 bytes .gz)": empty_file,
    "empty gzip stream": empty_gzip_stream,
    "wrong field count (5 and 40 fields)": wrong_field_count,
    "non-UTF-8 bytes": non_utf8,
    "a 20 MB line": line_of_20_mb,
    "license CSV with a missing column": license_missing_column,
}


def land(world: World, ws_name: str, bad: BadFile) -> Path:
    landing = world.root / "workspaces" / f"{ws_name}-landing"
    if landing.exists():
        shutil.rmtree(landing)
    shutil.copytree(world.landing, landing)
    (landing / bad.key).parent.mkdir(parents=True, exist_ok=True)
    (landing / bad.key).write_bytes(bad.data)
    return landing


def without(state: State, bad: BadFile, files: Collection[str], markers: Collection[str]) -> State:
    """The state less everything about these files of the bad file's table (their rows, history and rejects) and
    these markers."""

    def dropped(name: str, relation: Relation, row: tuple) -> bool:
        if name == bad.table:
            return row[relation.column("_file")] in files
        if name in ("raw.pipeline.load_history", "raw.pipeline.rejects"):
            return row[relation.column("target_table")] == bad.table and row[relation.column("file")] in files
        if name == "raw.pipeline.markers":
            return row[relation.column("update_id")] in markers
        return False

    return {
        name: Relation(relation.columns, collections.Counter(
            {row: n for row, n in relation.rows.items() if not dropped(name, relation, row)}))
        for name, relation in state.items()
    }  # fmt: skip


def about_table(ledger: Relation, table: str) -> list[dict[str, Any]]:
    """The rows of a ledger (load history, rejects) about one table, as dicts."""
    i = ledger.column("target_table")
    return [dict(zip(ledger.columns, row, strict=True)) for row in ledger.rows if row[i] == table]


def failed_day_problems(bad: BadFile, day: str, state: State) -> list[str]:
    """A failed day: none of its rows in the table, every file of it marked for reloading, a failure marker."""
    problems = []
    relation = state[bad.table]
    left = {row[relation.column("_file")] for row in relation.rows if day in row[relation.column("_file")]}
    if left:
        problems.append(f"the failed day {day} still has rows in {bad.table}, from {sorted(left)}")
    waiting = {f["file"]: f["status"] for f in about_table(state["raw.pipeline.load_history"], bad.table)}
    if not_marked := {f: s for f, s in waiting.items() if day in f and s != "INVALIDATED"}:
        problems.append(f"files of the failed day {day} not marked for reloading: {not_marked}")
    markers = state["raw.pipeline.markers"]
    if f"{bad.table}/{day}/failed/v1" not in {row[markers.column("update_id")] for row in markers.rows}:
        problems.append(f"no failure marker for {bad.table} {day}")
    return problems


def about(ledger: Relation, file: str) -> list[dict[str, Any]]:
    """The rows of a ledger (load history, rejects) about one file, as dicts."""
    i = ledger.column("file")
    return [dict(zip(ledger.columns, row, strict=True)) for row in ledger.rows if row[i] == file]


def file_problems(bad: BadFile, state: State, run: harness.Run) -> list[str]:
    """The bad file's own outcome: its rejects name it and the right lines, its loaded rows are its good lines."""
    problems = []
    rejects = state["raw.pipeline.rejects"]
    mine = about(rejects, bad.name)
    lines = {r["line"] for r in mine}
    if bad.damaged:
        if not any(r["line"] and "compressed" in (r["error"] or "") for r in mine):
            first = min(mine, key=lambda r: r["line"] or 0, default=None)
            problems.append(
                f"{bad.name}: none of its {len(mine)} rejects names the damaged compressed stream"
                + (f" (the first: line {first['line']}, {first['error']})" if first else "")
            )
    elif lines != set(bad.rejected):
        problems.append(f"{bad.name}: rejects at lines {sorted(lines)}, expected {sorted(bad.rejected)}")
    if any(not r["error"] for r in mine):
        problems.append(f"{bad.name}: a reject without its error")
    history = state["raw.pipeline.load_history"]
    recorded = about(history, bad.name)
    if len(recorded) != 1 or recorded[0]["errors_seen"] != len(mine):
        problems.append(f"{bad.name}: load history {recorded!r:.300} does not count its {len(mine)} reject(s)")
    relation = state[bad.table]
    width = len(relation.columns) - 2  # less _file and _row
    loaded = collections.Counter(
        row[:width] for row, n in relation.rows.items() for _ in range(n) if row[relation.column("_file")] == bad.name
    )
    written = collections.Counter(
        tuple(line.split("\t" if bad.table == DIAGNOSTICS else ",")[:width])
        for i, line in enumerate(bad.lines, HEADER_LINES + 1 if bad.table == DIAGNOSTICS else 1)
        if i not in bad.rejected
    )
    if bad.fails_day:
        if loaded:
            problems.append(f"{bad.name}: {loaded.total()} row(s) of a failed day left in {bad.table}")
    elif bad.damaged:
        if garbage := loaded - written:
            problems.append(f"{bad.name}: {garbage.total()} row(s) loaded that the file never held (garbage)")
    elif loaded != written:
        problems.append(f"{bad.name}: {loaded.total()} rows loaded, expected its {written.total()} good ones")
    if bad.fails_day:
        if run.code != 30 or bad.name not in run.log or "first at line" not in run.log:
            problems.append(f"exit {run.code}: the failure does not name {bad.name} and a line:\n{run.tail(15)}")
    elif run.code != 0:
        problems.append(f"the load exited {run.code}:\n{run.tail(15)}")
    return problems


@pytest.mark.parametrize("case", CASES)
def test_a_bad_file_is_a_counted_reject_or_a_clear_error_and_nothing_else_is_lost(
    world: World, clean: Baseline, ledger: Ledger, case: str
) -> None:
    bad = CASES[case](world)
    name = "bad-" + "".join(c for c in case if c.isalnum())[:30]
    warehouse, database = clean.before["loads"]
    landing = str(land(world, name, bad))
    ws = harness.workspace(world, name, warehouse_from=warehouse, database_from=database, landing=landing)
    run = ws.run("loads")
    state = ws.state()
    day = bad.key.split(".")[1][:10] if bad.table == DIAGNOSTICS else bad.key.split("/")[1]
    markers = {f"{bad.table}/{day}/v1", f"{bad.table}/{day}/failed/v1"}
    problems = file_problems(bad, state, run)
    files = {bad.name}
    if bad.fails_day:  # the day's other files are withdrawn too
        problems += failed_day_problems(bad, day, state)
        history = clean.after["loads"]["raw.pipeline.load_history"]
        files |= {f["file"] for f in about_table(history, bad.table) if day in f["file"]}
    problems += harness.diff(without(clean.after["loads"], bad, files, markers), without(state, bad, files, markers))
    ledger.record(
        f"bad input: {case}", not problems, "the file's rejects and rows; every other file, day and table",
        "; ".join(problems)[:200],
    )  # fmt: skip
    assert not problems, "\n".join(problems)


def test_an_unparseable_logdate_is_rejected_at_load_and_the_marts_are_built(
    world: World, clean: Baseline, ledger: Ledger
) -> None:
    good = good_lines(world)[:20]
    bad = cloudfront(world, "baddate", [*good[:10], with_field(good[10], 0, "2026-13-45"), *good[11:]],
                     {HEADER_LINES + 11})  # fmt: skip
    warehouse, database = clean.before["loads"]
    landing = str(land(world, "bad-logdate", bad))
    ws = harness.workspace(world, "bad-logdate", warehouse_from=warehouse, database_from=database, landing=landing)
    problems = []
    loads = ws.run("loads")
    problems += file_problems(bad, ws.state(), loads)
    build = ws.run("dbt")
    if build.code != 0:
        failed = [line for line in build.log.splitlines() if "error:" in line.lower()][:3]
        problems.append(f"dbt exited {build.code}, naming neither file nor line: {' | '.join(failed)[:400]}")
    marker = f"{DIAGNOSTICS}/{bad.key.split('.')[1][:10]}/v1"
    problems += harness.diff(without(clean.after["dbt"], bad, {bad.name}, {marker}),
                             without(ws.state(), bad, {bad.name}, {marker}),
                             only=lambda name: name.startswith("analytics."))  # fmt: skip
    ledger.record(
        "bad input: unparseable CloudFront logdate", not problems, "rejects at load; every mart after dbt",
        "; ".join(problems)[:200],
    )  # fmt: skip
    assert not problems, "\n".join(problems)


def pg_execute(dsn: str, *statements: str) -> None:
    con = psycopg2.connect(dsn)
    con.autocommit = True
    try:
        with con.cursor() as cur:
            for sql in statements:
                cur.execute(sql)
    finally:
        con.close()


def test_a_postgres_row_without_its_key_waits_and_is_counted(world: World, clean: Baseline, ledger: Ledger) -> None:
    warehouse, database = clean.before["replication"]
    ws = harness.workspace(world, "bad-nullkey", warehouse_from=warehouse, database_from=database)
    pg_execute(ws.dsn, "INSERT INTO orgm.account (id, sfid, name, systemmodstamp, createddate, isdeleted) "
                       "VALUES (9999, NULL, 'Created in Postgres', now(), now(), false)")  # fmt: skip
    run = ws.run("replication")
    problems = [] if run.code == 0 else [f"replication exited {run.code}:\n{run.tail(15)}"]
    problems += harness.diff(clean.after["replication"], ws.state(), only=lambda name: not name.startswith("pg:"))
    if not any("account" in line and ("sfid" in line or "key" in line) for line in run.log.splitlines()):
        problems.append("the run does not count the orgm.account row that waits for its sfid (nothing in the log)")
    ledger.record(
        "bad input: NULL sfid in orgm.account", not problems, "raw.orgm.*, bookmarks, markers; the run's log",
        "; ".join(problems)[:200],
    )  # fmt: skip
    assert not problems, "\n".join(problems)


def test_an_unparseable_text_systemmodstamp_is_a_clear_error_and_the_other_tables_replicate(
    world: World, clean: Baseline, ledger: Ledger
) -> None:
    warehouse, database = clean.before["replication"]
    ws = harness.workspace(world, "bad-modstamp", warehouse_from=warehouse, database_from=database)
    pg_execute(
        ws.dsn,
        "ALTER TABLE orgm.contact ALTER COLUMN systemmodstamp TYPE text USING systemmodstamp::text",
        "UPDATE orgm.contact SET systemmodstamp = 'last Tuesday' WHERE id = (SELECT min(id) FROM orgm.contact)",
    )
    run = ws.run("replication")
    problems = []
    named = [line for line in run.log.splitlines() if "contact" in line and "systemmodstamp" in line]
    if run.code != 30 or not named:
        problems.append(f"exit {run.code}, no error names orgm.contact.systemmodstamp; the error: {run.first_error()}")
    others = {f"raw.orgm.{t}" for t in ("account", "opportunity", "opportunitylineitem", "user", "task")}
    problems += harness.diff(clean.after["replication"], ws.state(), only=others.__contains__)
    ledger.record(
        "bad input: unparseable text systemmodstamp", not problems, "the error; every other orgm table",
        "; ".join(problems)[:200],
    )  # fmt: skip
    assert not problems, "\n".join(problems)
