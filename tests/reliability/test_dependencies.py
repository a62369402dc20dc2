"""Dependencies failing mid-run: PostgreSQL restarted during a script and during the replication; the S3 endpoint
answering 500s, resets, cut bodies and slow answers (a fault-injecting proxy in front of moto); the webhook down,
slow or failing; luigid restarted mid-run. Each ends in success after retries, or in a clear failure that a plain
rerun repairs - to the clean run's state, row for row."""

from __future__ import annotations

import json
import random
import shutil
import time
import urllib.parse
import urllib.request
from pathlib import Path

import boto3
import pytest

from tests.reliability import harness
from tests.reliability.harness import (
    ROOT,
    SEED,
    STAGE,
    Baseline,
    FaultProxy,
    Faults,
    Ledger,
    Run,
    State,
    Webhook,
    Workspace,
    World,
)


def repaired(
    ws: Workspace, stage: str, first: Run, expected: State, clear: tuple[str, ...], codes: tuple[int, ...] = (30,)
) -> list[str]:
    """The first run succeeded, or failed (a task failed: exit 30) with one of the ``clear`` words in its log and a
    plain rerun succeeded; then the state equals the clean run's."""
    problems = []
    if first.code != 0:
        if first.code not in codes or not any(word in first.log for word in clear):
            problems.append(f"the faulty run exited {first.code} without a clear error:\n{first.tail(20)}")
        rerun = ws.run(stage)
        if rerun.code != 0:
            problems.append(f"the rerun exited {rerun.code}:\n{rerun.tail(20)}")
    return problems + harness.diff(expected, ws.state())


def outcome(first: Run) -> str:
    return "the run succeeded" if first.code == 0 else f"the run failed (exit {first.code}), a rerun repaired"


# -- PostgreSQL ------------------------------------------------------------------------------------------------


def sleeping(world: World, application: str) -> bool:
    return bool(world.pg.admin(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = %s AND state = 'active' AND query LIKE %s",
        (application, "SELECT pg_sleep%"),
    ))  # fmt: skip


def test_postgres_restarted_during_a_script(world: World, clean: Baseline, ledger: Ledger) -> None:
    warehouse, database = clean.before["scripts"]
    ws = harness.workspace(world, "dep-pg-script", warehouse_from=warehouse, database_from=database)
    scripts = ws.dir / "scripts"
    shutil.copytree(ROOT / "sql" / "postgres", scripts)
    # A first statement long enough to restart the server under the script's open transaction; it changes nothing.
    script = scripts / "account_arr.sql"
    lines = script.read_text().splitlines(keepends=True)
    header = next(i for i, line in enumerate(lines) if not line.startswith("--"))
    script.write_text("".join([*lines[:header], "SELECT pg_sleep(3);\n", *lines[header:]]))
    ws.config["postgres"] = {"scripts_dir": scripts}

    proc, log, started = ws.start(STAGE["scripts"])
    harness.wait_for(lambda: sleeping(world, "pg-account-arr"), 60, "account_arr's first statement")
    world.pg.restart()
    first = ws.finish(proc, log, started)
    problems = []
    if first.code == 0:
        problems.append("the script's transaction survived a server restart: it was not under the restart")
    problems += repaired(ws, "scripts", first, clean.after["scripts"], ("account_arr.sql: statement 1",))
    ledger.record("dependency: Postgres restarted during a script", not problems,
                  "Postgres orgm.* and staging.* (markers included), warehouse", outcome(first))  # fmt: skip
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("trial", range(3))
def test_postgres_restarted_during_the_replication(world: World, clean: Baseline, ledger: Ledger, trial: int) -> None:
    warehouse, database = clean.before["replication"]
    ws = harness.workspace(world, f"dep-pg-replication-{trial}", warehouse_from=warehouse, database_from=database)
    delay = random.Random(f"{SEED}:pg-restart:{trial}").uniform(*clean.runs["replication"].working())
    proc, log, started = ws.start(STAGE["replication"])
    time.sleep(max(0.0, delay - (time.time() - started)))
    world.pg.restart()
    first = ws.finish(proc, log, started)
    problems = repaired(ws, "replication", first, clean.after["replication"], ("OperationalError", "connection"))
    ledger.record("dependency: Postgres restarted during the replication", not problems,
                  "raw.orgm.*, bookmarks, markers", f"restart at {delay:.1f} s: {outcome(first)}")  # fmt: skip
    assert not problems, "\n".join(problems)


# -- S3 --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_landing(world: World, s3_server: str) -> str:
    """The world's landing files in a bucket of the moto server (written directly, not through the proxy)."""
    client = boto3.client("s3", endpoint_url=s3_server, aws_access_key_id="testing", aws_secret_access_key="testing",
                          region_name="us-east-1")  # fmt: skip
    bucket = f"reliability-{time.monotonic_ns()}"
    client.create_bucket(Bucket=bucket)
    for f in world.dataset.files:
        client.put_object(Bucket=bucket, Key=f"bizops/{f.key}", Body=f.data)
    return f"s3://{bucket}/bizops"


@pytest.mark.parametrize("trial", range(2))
def test_s3_failing_a_share_of_requests(
    world: World, clean: Baseline, ledger: Ledger, s3_server: str, s3_landing: str, trial: int
) -> None:
    warehouse, database = clean.before["loads"]
    ws = harness.workspace(
        world, f"dep-s3-{trial}", warehouse_from=warehouse, database_from=database, landing=s3_landing
    )
    faults = Faults(f"{SEED}:s3:{trial}", 0.1, ("500", "reset", "truncate", "slow"))
    with FaultProxy(s3_server, faults) as proxy:
        ws.env.update(AWS_ENDPOINT_URL=proxy.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1")  # fmt: skip
        first = ws.run("loads")
        injected = {kind: n for kind, n in faults.counts.items() if kind != "ok"}
        faults.share = 0.0  # the endpoint recovered: what a rerun would meet
        # A listing that fails in LandingFiles.complete() fails the scheduling instead (exit 35).
        problems = repaired(ws, "loads", first, clean.after["loads"], ("botocore", "s3transfer"), codes=(30, 35))
    ledger.record("dependency: S3 answering 500s, resets, cut bodies, slow", not problems,
                  "every raw table, load history, rejects, markers",
                  f"{sum(faults.counts.values())} requests, injected {injected}: {outcome(first)}")  # fmt: skip
    assert not problems, "\n".join(problems)


# -- the webhook -----------------------------------------------------------------------------------------------

HOOK = "/hooks/reliability"


@pytest.fixture(scope="module")
def failing_loads(world: World, clean: Baseline) -> tuple[Path, Run, State, int]:
    """A load run that fails (a license export lacking a column), alerting a healthy webhook: the reference."""
    landing = world.root / "workspaces" / "failing-landing"
    shutil.copytree(world.landing, landing)
    day = world.first
    export = landing / f"licenses/{day}/licenses-{day}.csv"
    # More rejected lines than max_reject_share allows beside the day's 16 good ones.
    (export.parent / f"licenses-extra-{day}.csv").write_text(
        "".join(f"c{i},Company,1,a@example.com,l{i},1690731051088,1\n" for i in range(10))
    )
    warehouse, database = clean.before["loads"]
    ws = harness.workspace(
        world, "dep-webhook-ok", warehouse_from=warehouse, database_from=database, landing=str(landing)
    )
    with Webhook() as hook:
        ws.env["MATTERMOST_WEBHOOK_URL"] = hook.url + HOOK
        run = ws.run("loads")
        posts = len(hook.payloads())
    assert run.code == 30, f"the reference run should fail on the broken export:\n{run.tail()}"
    assert posts >= 2, "a failure alert and the run summary reach a healthy webhook"
    return landing, run, ws.state(), posts


@pytest.mark.parametrize("mode", ["down", "slow", "error"])
def test_the_webhook_down_slow_or_failing_changes_neither_outcome_nor_exit_code(
    world: World, clean: Baseline, ledger: Ledger, failing_loads: tuple, mode: str
) -> None:
    landing, reference, expected, posts = failing_loads
    warehouse, database = clean.before["loads"]
    ws = harness.workspace(
        world, f"dep-webhook-{mode}", warehouse_from=warehouse, database_from=database, landing=str(landing)
    )
    ws.config["alerts"] = {"timeout_seconds": 1, "retries": 1, "backoff_seconds": 0.1}
    with Webhook("error" if mode == "error" else "ok", delay=2.0 if mode == "slow" else 0.0) as hook:
        ws.env["MATTERMOST_WEBHOOK_URL"] = (f"http://127.0.0.1:{harness.free_port()}" if mode == "down" else
                                            hook.url) + HOOK  # fmt: skip
        run = ws.run("loads")
    problems = [] if run.code == reference.code else [f"exit {run.code}, {reference.code} with a healthy webhook"]
    problems += harness.diff(expected, ws.state())
    # Each post gives up after (retries + 1) attempts of at most timeout_seconds, plus the backoff.
    budget = reference.seconds + posts * 2 * (1 + 0.1) + 5
    if run.seconds > budget:
        problems.append(f"the run took {run.seconds:.1f} s, over {budget:.1f} s: the alerts held it up")
    ledger.record("dependency: webhook down, slow or answering 500", not problems,
                  "exit code, every raw table and ledger, run time",
                  f"{mode}: exit {run.code} in {run.seconds:.1f} s (healthy: {reference.seconds:.1f} s)")  # fmt: skip
    assert not problems, "\n".join(problems)


# -- luigid ----------------------------------------------------------------------------------------------------


def done_tasks(port: int) -> set[str]:
    query = urllib.parse.quote(json.dumps({"status": "DONE"}))
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/task_list?data={query}", timeout=10) as r:
        return set(json.load(r)["response"])


RPC_WAIT = 1  # [core] rpc_retry_wait of these runs: a worker rides out rpc_retry_attempts x RPC_WAIT seconds


@pytest.mark.parametrize(("outage", "attempts"), [(2.0, 30), (8.0, 3)], ids=["short-outage", "long-outage"])
def test_luigid_restarted_mid_run(world: World, clean: Baseline, ledger: Ledger, outage: float, attempts: int) -> None:
    """A short outage: the worker retries its RPCs through it and finishes; luigid's state survives the SIGTERM.
    An outage longer than rpc_retry_attempts x rpc_retry_wait: the run fails clearly and a rerun repairs. The run
    is the dbt build from an empty warehouse: it needs every load of the window, so it does those first."""
    survives = outage < attempts * RPC_WAIT
    warehouse, database = clean.before["loads"]
    ws = harness.workspace(world, f"dep-luigid-{attempts}", warehouse_from=warehouse, database_from=database)
    ws.config["core"] = {"rpc_retry_attempts": attempts, "rpc_retry_wait": RPC_WAIT}
    if not survives:
        # The worker dies: luigid frees its RUNNING task once it notices (the next cron tick is long after that).
        ws.config["scheduler"] = {"worker_disconnect_delay": 1, "prune_on_get_work": "true"}
    problems = []
    with harness.luigid(ws.dir / "luigid", ws.environment()) as server:
        proc, log, started = ws.start(STAGE["dbt"], scheduler=server.port)
        # Mid-run: after a seeded number of the 6 load runs (Luigi batches the ready days of each source), while
        # the worker asks luigid for work after each task.
        loads_done = random.Random(f"{SEED}:luigid:{attempts}").randint(1, 5)
        harness.wait_for(lambda: log.read_text().count(" done      Load") >= loads_done, 120, f"{loads_done} loads")
        before = done_tasks(server.port)
        server.stop()
        time.sleep(outage)
        server.start(ws.environment())
        after = done_tasks(server.port)
        if lost := before - after:
            problems.append(f"{len(lost)} DONE task(s) lost by luigid's SIGTERM restart, e.g. {sorted(lost)[0]}")
        first = ws.finish(proc, log, started)
        if survives and first.code != 0:
            problems.append(f"the worker did not ride out a {outage} s restart: exit {first.code}\n{first.tail(20)}")
        if first.code != 0:
            if "RPCError" not in first.log and "remote scheduler" not in first.log:
                problems.append(f"exit {first.code} without a clear scheduler error:\n{first.tail(20)}")
            time.sleep(2)
            rerun = ws.run("dbt", scheduler=server.port)
            if rerun.code != 0:
                problems.append(f"the rerun exited {rerun.code}:\n{rerun.tail(20)}")
    problems += harness.diff(clean.after["dbt"], ws.state())
    ledger.record("dependency: luigid restarted mid-run (SIGTERM)", not problems,
                  "every raw table and mart, markers; luigid's DONE tasks across the restart",
                  f"{outage:.0f} s outage after {loads_done} load runs, {len(before)} tasks DONE in luigid before it: "
                  f"{outcome(first)}")  # fmt: skip
    assert not problems, "\n".join(problems)
