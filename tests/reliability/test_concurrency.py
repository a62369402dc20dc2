"""Two cron invocations of the same schedule at once (two `python -m tasks CatchUpLoads ...` started together):
on two hosts (pods, each with its own pid lock) with the central scheduler, on one host with local schedulers
(Luigi's pid lock refuses the second), and on two hosts with local schedulers (nothing coordinates them but the
warehouse). Every task's work is done once - each file of a day is loaded by exactly one invocation - and the
warehouse equals the clean run's, row for row: no duplicates."""

from __future__ import annotations

import collections
import contextlib
import re

import pytest

from tests.reliability import harness
from tests.reliability.harness import STAGE, Baseline, Ledger, Run, World

_RAN = re.compile(r"Worker\(.*\) running   (Load\w+\(.*\))$", re.MULTILINE)
_LOADED = re.compile(r"bizops\.extract: (\S+) (\d{4}-\d{2}-\d{2}): (\d+) new file\(s\)", re.MULTILINE)


def work_done(runs: list[Run]) -> tuple[collections.Counter[str], collections.Counter[tuple[str, str]]]:
    """(load tasks run, by how many invocations), (files newly loaded per table and day, over all invocations)."""
    ran: collections.Counter[str] = collections.Counter()
    loaded: collections.Counter[tuple[str, str]] = collections.Counter()
    for run in runs:
        ran.update(set(_RAN.findall(run.log)))
        for table, day, files in _LOADED.findall(run.log):
            loaded[(table, day)] += int(files)
    return ran, loaded


def files_per_day(clean: Baseline) -> collections.Counter[tuple[str, str]]:
    """Files of each table and day, from the clean run's own log."""
    return work_done([clean.runs["loads"]])[1]


@pytest.mark.parametrize("setup", ["two hosts, luigid", "one host, local schedulers", "two hosts, local schedulers"])
def test_two_invocations_at_once_do_every_task_once(world: World, clean: Baseline, ledger: Ledger, setup: str) -> None:
    warehouse, database = clean.before["loads"]
    ws = harness.workspace(world, "concurrent-" + re.sub(r"\W+", "-", setup), warehouse_from=warehouse,
                           database_from=database)  # fmt: skip
    # Two pods have a pid-lock folder each; two invocations on one host share the workspace's.
    hosts = [("--lock-pid-dir", str(ws.dir / f"host-{i}")) for i in range(2)] if setup.startswith("two") else [(), ()]
    central = setup.endswith("luigid")
    scheduler = harness.luigid(ws.dir / "luigid", ws.environment()) if central else contextlib.nullcontext()
    with scheduler as server:
        started = [ws.start(STAGE["loads"], *host, scheduler=server.port if server else None) for host in hosts]
        runs = [ws.finish(*s) for s in started]
    ran, loaded = work_done(runs)
    problems = []
    codes = sorted(run.code for run in runs)
    if setup.startswith("one host") and codes != [0, 10]:
        problems.append(f"exit codes {codes}: the pid lock should refuse the second invocation (10)")
    # With luigid the other invocation may hold a task: 10 (run by another worker), 25 (not granted run permission).
    allowed = (0, 10, 25) if central else (0, 10)
    for run in runs:
        if run.code not in allowed:
            problems.append(f"an invocation exited {run.code}: {run.first_error()}")
    if central and (twice := [task for task, n in ran.items() if n > 1]):
        problems.append(f"{len(twice)} task(s) run by both invocations, e.g. {twice[0]}")
    if loaded != (once := files_per_day(clean)):
        problems.append(f"files loaded other than once, by table and day: {dict(loaded - once) or dict(once - loaded)}")
    problems += harness.diff(clean.after["loads"], ws.state())
    ledger.record(
        "concurrency: two cron invocations at once", not problems,
        "every raw table, load history, rejects, markers; tasks run and files loaded per invocation",
        f"{setup}: exit codes {codes}, {len(ran)} load tasks run, {sum(n > 1 for n in ran.values())} by both",
    )  # fmt: skip
    assert not problems, "\n".join(problems)
