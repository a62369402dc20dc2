"""Fixtures of the reliability suite - one generated world and one clean run of every stage per session, shared
by every trial - and the table of results printed at the end of the session."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import devdata
from tests.reliability import harness
from tests.reliability.harness import RESULTS, STAGES, Baseline, Ledger, PgServer, World


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    terminalreporter.write_sep("=", "reliability: cases, trials, what was compared")
    width = max(len(case) for case in RESULTS)
    terminalreporter.write_line(f"{'case':<{width}}  trials  passed  compared")
    for case, r in RESULTS.items():
        terminalreporter.write_line(f"{case:<{width}}  {r.trials:>6}  {r.passed:>6}  {r.compared}")
        for note in r.notes:
            terminalreporter.write_line(f"{'':<{width}}  {'':>6}  {'':>6}    - {note}")
    trials, passed = sum(r.trials for r in RESULTS.values()), sum(r.passed for r in RESULTS.values())
    terminalreporter.write_line(f"{'total':<{width}}  {trials:>6}  {passed:>6}")


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    return Ledger()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """Not under pytest's tmp: as root, pgserver runs postgres as another user, and pytest's tmp is 0700."""
    data = Path(tempfile.mkdtemp(prefix="bizops-reliability-pg-"))
    server = PgServer(data / "pgdata")
    yield server
    server.stop()
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def locations() -> Iterator[None]:
    """The source locations in this process too: the suite reads the load tasks' file patterns."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in devdata.LOCATIONS.items():
            mp.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory, pg_server: PgServer, locations: None) -> World:
    return harness.build_world(tmp_path_factory.mktemp("reliability"), pg_server)


@pytest.fixture(scope="session")
def clean(world: World) -> Baseline:
    ws = harness.workspace(world, "clean")
    runs, before, after = {}, {}, {}
    for stage in STAGES:
        snapshot = world.root / "snapshots" / stage.name
        shutil.copytree(ws.warehouse, snapshot)
        template = f"before_{stage.name}"
        world.pg.create_database(template, ws.database)
        before[stage.name] = (snapshot, template)
        runs[stage.name] = run = ws.run(stage)
        assert run.code == 0, f"the clean run of {stage.name} failed (exit {run.code}):\n{run.tail()}"
        after[stage.name] = ws.state()
    return Baseline(runs, before, after)
