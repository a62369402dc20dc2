"""Crash consistency: the worker's process group is SIGKILLed (as when a pod dies) at seeded moments spread over
the clean run's measured timeline - from its first task's start to its last task's end - during a multi-day load,
the orgm replication and a dbt build. At the moment of the kill nothing may be half-written and no marker may claim
a partition that is not complete; after a plain rerun the warehouse and Postgres equal the clean run's, row for row.
"""

from __future__ import annotations

import random
from datetime import date

import pytest

from tasks.extract.catchup import DAILY_LOADS
from tests.reliability import harness
from tests.reliability.harness import SEED, Baseline, Ledger, State, World, rows_by_file

TRIALS = {"loads": 8, "replication": 7, "dbt": 5}
# What runs after the rerun before the comparison: the dbt trials end with the Postgres write-back of the marts.
THEN = {"dbt": ("write_back",)}
COMPARED = {
    "loads": "every raw table, load history, rejects, markers",
    "replication": "raw.orgm.*, bookmarks, markers",
    "dbt": "every raw table and mart, markers; Postgres after the write-back",
}


def day_files(table: str, day: date, clean_files: set[str]) -> set[str]:
    """The clean run's files of one day of a raw table, by the load tasks' own patterns."""
    found: set[str] = set()
    for cls, params in DAILY_LOADS:
        task = cls(date=day, **params)
        if task.target_table == table:
            found |= {f for spec in task.source().specs(day) for f in clean_files if spec.matches(f)}
    return found


def kill_state_problems(state: State, clean: State) -> list[str]:
    """Right after the kill: every loaded file is whole and recorded, and every marker's partition is complete."""
    problems = []
    history = state.get("raw.pipeline.load_history")
    recorded: dict[str, set[str]] = {}
    if history is not None:
        table_col, file_col = history.column("target_table"), history.column("file")
        for row in history.rows:
            recorded.setdefault(row[table_col], set()).add(row[file_col])
    for name, relation in state.items():
        if not name.startswith("raw.") or "_file" not in relation.columns:
            continue
        want = rows_by_file(clean[name])
        for file, rows in rows_by_file(relation).items():
            if rows != want.get(file):
                problems.append(f"{name}: file {file} half-written or duplicated ({sum(rows.values())} rows)")
            if file not in recorded.get(name, set()):
                problems.append(f"{name}: rows of {file} without a load-history row")
        for file in recorded.get(name, set()) - set(rows_by_file(relation)):
            if want.get(file):
                problems.append(f"{name}: {file} in the load history but its rows are missing")
    markers = state.get("raw.pipeline.markers")
    for row in markers.rows if markers else ():
        update_id, target = row[markers.column("update_id")], row[markers.column("target_table")]
        if target in clean and "_file" in clean[target].columns:  # a load: its partition is a day of files
            day = date.fromisoformat(update_id.rsplit("/", 2)[1])
            missing = day_files(target, day, set(rows_by_file(clean[target]))) - recorded.get(target, set())
            if missing:
                problems.append(f"stale marker {update_id}: {len(missing)} file(s) of the day not loaded")
        elif target not in state or state[target].rows != clean[target].rows:
            problems.append(f"stale marker {update_id}: {target} differs from the clean run's")
    return problems


@pytest.mark.parametrize(("stage", "trial"), [(stage, i) for stage, n in TRIALS.items() for i in range(n)])
def test_a_sigkill_then_a_plain_rerun_equals_the_clean_run(
    world: World, clean: Baseline, ledger: Ledger, stage: str, trial: int
) -> None:
    warehouse, database = clean.before[stage]
    ws = harness.workspace(world, f"crash-{stage}-{trial}", warehouse_from=warehouse, database_from=database)
    first_task, last_task = clean.runs[stage].working()
    delay = random.Random(f"{SEED}:crash:{stage}:{trial}").uniform(first_task, last_task)

    killed = ws.run_killed(stage, delay)
    at_kill = ws.state()
    written = len(harness.marker_ids(at_kill) & clean.stage_markers(stage))
    problems = kill_state_problems(at_kill, clean.after[stage])
    rerun = ws.run(stage)
    if rerun.code != 0:
        problems.append(f"the rerun exited {rerun.code}:\n{rerun.tail()}")
    last = stage
    for then in THEN.get(stage, ()):
        follow = ws.run(then)
        if follow.code != 0:
            problems.append(f"{then} after the rerun exited {follow.code}:\n{follow.tail()}")
        last = then
    problems += harness.diff(clean.after[last], ws.state())

    outcome = "finished before the kill" if killed.killed_after is None else f"killed at {delay:.1f} s"
    ledger.record(
        f"crash: SIGKILL during {stage}", not problems, COMPARED[stage],
        f"trial {trial}: {outcome} (tasks ran {first_task:.1f}-{last_task:.1f} s), {written} of the stage's "
        f"{len(clean.stage_markers(stage))} markers written; {'ok' if not problems else f'{len(problems)} problem(s)'}",
    )  # fmt: skip
    assert not problems, "\n".join(problems)
