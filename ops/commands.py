"""Ops commands on both backends: what is missing (status), redo by target (invalidate), and backfill.

    python -m ops status LoadSecurityCheckLogs --start 2026-11-01 --end 2026-11-07
    python -m ops invalidate LoadPushProxyLogs --region de --start 2026-11-01 --end 2026-11-03 [--downstream] [--yes]
    python -m ops backfill CatchUpLoads --start 2026-10-01 --end 2026-10-31 --workers 2

What the arguments select - the days of a load or digest, a window's last day, dbt nodes by name or selector, a
replicated table, a Postgres script - is ``ops.selection``. Markers are the state: invalidate deletes them (and
makes each task undo what would let its rerun skip work: a load's files, a table's bookmark), and the next run
redoes exactly that.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import TextIO

import luigi
import luigi.retcodes
from luigi.task import flatten

from ops.selection import instances  # noqa: F401 - callers select and act through this module
from services.alerts.run import exit_code
from services.console import name
from targets.markers.target import MarkerTarget, delete_markers
from targets.warehouse import ledger
from targets.warehouse.session import Session
from tasks.base import WarehouseTask


def walk(task: luigi.Task) -> Iterator[tuple[int, luigi.Task, bool]]:
    """(depth, task, complete) of the task and its dependencies, stopping below complete ones."""
    stack = [(0, task)]
    seen: set[str] = set()
    while stack:
        depth, t = stack.pop()
        if t.task_id in seen:
            continue
        seen.add(t.task_id)
        done = t.complete()
        yield depth, t, done
        if not done:
            stack.extend((depth + 1, d) for d in reversed(flatten(t.requires())))


def _state(t: luigi.Task, done: bool, blocked: bool) -> str:
    if done:
        return "complete"
    if isinstance(t, luigi.ExternalTask):
        return "WAITING for data"
    if isinstance(t, WarehouseTask) and (failed := t.failure_marker().marker()):
        return (
            f"FAILED: its check at {failed.inserted:%Y-%m-%d %H:%M} rejected {failed.row_count} lines (see "
            f"{ledger.REJECTS}); not loaded, so no mart reads it, and the next run loads it again"
        )
    if blocked:
        return "blocked: waits for data upstream"
    for target in marker_targets(t):
        if (found := target.marker()) and target.settles_at:
            return (
                f"provisional: marker of {found.inserted:%Y-%m-%d %H:%M}; files landed since, or the day settled at "
                f"{target.settles_at:%Y-%m-%d %H:%M}: the next run loads it"
            )
        if found:
            return f"out of date: built {found.inserted:%Y-%m-%d %H:%M}, before what it reads changed"
    return "missing"


def _blocked(t: luigi.Task, done: dict[str, bool], memo: dict[str, bool]) -> bool:
    """Waits, directly or through its dependencies, for data that has not landed."""
    if t.task_id not in memo:
        deps = [d for d in flatten(t.requires()) if not done.get(d.task_id, True)]
        memo[t.task_id] = any(isinstance(d, luigi.ExternalTask) or _blocked(d, done, memo) for d in deps)
    return memo[t.task_id]


def status(roots: Sequence[luigi.Task], out: TextIO | None = None) -> int:
    """Print what a run would do (like make -n); return the number of tasks that would run now."""
    out = out or sys.stdout
    pending = 0
    for root in roots:
        rows = list(walk(root))
        done = {t.task_id: complete for _, t, complete in rows}
        memo: dict[str, bool] = {}
        for depth, t, complete in rows:
            stuck = not complete and _blocked(t, done, memo)
            pending += not (complete or stuck or isinstance(t, luigi.ExternalTask))
            print(f"{'  ' * depth}{t}: {_state(t, complete, stuck)}", file=out)
    print(f"{pending} task(s) would run", file=out)
    return pending


def marker_targets(task: luigi.Task) -> list[MarkerTarget]:
    return [o for o in flatten(task.output()) if isinstance(o, MarkerTarget)]


def downstream_of(targets: Sequence[luigi.Task], roots: Sequence[luigi.Task]) -> list[luigi.Task]:
    """Tasks with markers under the given entry points that (transitively) require any of the targets."""
    wanted = {t.task_id for t in targets}
    found: dict[str, luigi.Task] = {}

    def visit(t: luigi.Task, memo: dict[str, bool]) -> bool:
        if t.task_id in memo:
            return memo[t.task_id]
        memo[t.task_id] = False
        hit = any([visit(d, memo) for d in flatten(t.requires())]) or t.task_id in wanted
        if hit and marker_targets(t) and t.task_id not in wanted:
            found[t.task_id] = t
        memo[t.task_id] = hit
        return hit

    memo: dict[str, bool] = {}
    for root in roots:
        visit(root, memo)
    return list(found.values())


def invalidate(selected: Sequence[luigi.Task], confirm: bool = True, out: TextIO | None = None) -> int:
    """Delete the markers of the tasks (warehouse or Postgres, wherever each lives), and let each task undo
    what would make its rerun skip work (a load marks its files for replacement); return markers deleted."""
    out = out or sys.stdout
    chosen = [(t, m) for t in selected for m in marker_targets(t)]
    print(f"{len(chosen)} partition(s):", file=out)
    for _, m in chosen:
        found = m.marker()
        print(f"  {m.update_id}: {f'built {found.inserted:%Y-%m-%d %H:%M}' if found else 'no marker'}", file=out)
    if confirm and not _confirmed("Delete their markers so the next run redoes them? [y/N] "):
        print("nothing changed", file=out)
        return 0
    deleted = 0
    by_store: dict[str, list[tuple[luigi.Task, MarkerTarget]]] = {}
    for t, m in chosen:
        by_store.setdefault(m.store.key(), []).append((t, m))
    for group in by_store.values():
        store = group[0][1].store
        with store.connect("ops:invalidate") as session:
            store.ensure(session)
            if isinstance(session, Session):
                ledger.ensure(session)
            with session.transaction():
                for t in {t.task_id: t for t, _ in group}.values():
                    if isinstance(t, WarehouseTask):
                        t.invalidate(session)
                deleted += delete_markers(session, [m.update_id for _, m in group], store=store)
    print(f"deleted {deleted} marker(s)", file=out)
    return deleted


def _confirmed(question: str) -> bool:
    try:
        return input(question).strip().lower() == "y"
    except EOFError:  # no terminal to answer from (a script, cron): no
        return False


def backfill(batches: Sequence[Sequence[luigi.Task]], workers: int = 1, out: TextIO | None = None) -> int:
    """Run batch after batch (a day each) with a progress bar on stderr, then a line per outcome other than success
    naming its batches; return the highest exit code of the batches, by the rules of ``python -m tasks``
    ([retcode]: 20 while a day's files have not landed, 30 when a task failed)."""
    out = out or sys.stderr
    codes = luigi.retcodes.retcode()
    outcomes = {codes.missing_data: "waiting for data", codes.task_failed: "failed", codes.not_run: "not run",
                codes.scheduling_error: "could not be scheduled", codes.already_running: "already running"}  # fmt: skip
    unfinished: list[tuple[str, int]] = []
    width = 40
    for n, batch in enumerate(batches, start=1):
        code = exit_code(luigi.build(list(batch), workers=workers, local_scheduler=True, detailed_summary=True), codes)
        if code:
            unfinished.append((", ".join(name(t) for t in batch), code))
        filled = width * n // len(batches)
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {n}/{len(batches)}", end="", file=out, flush=True)
    print(file=out)
    for code in sorted({code for _, code in unfinished}):
        labels = [label for label, found in unfinished if found == code]
        span = labels[0] if len(labels) == 1 else f"{labels[0]} ... {labels[-1]}"
        print(f"{len(labels)} of {len(batches)} {outcomes.get(code, 'ended')} (exit {code}): {span}", file=out)
    return max((code for _, code in unfinished), default=0)
