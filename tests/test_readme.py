"""The README works as written: every shell command of its code blocks, run in a new shell of a fresh copy after
`make demo` - the demo's PostgreSQL stopped first, as after a reboot - exits 0, or with the code its comment
documents ("exits 20"). And `make demo` itself says what it did on one screen, its tables aside."""

from __future__ import annotations

import re
import socket
import time

import pytest

from tests.conftest import ROOT, Checkout

# Commands of the README this test does not run, and why.
NOT_HERE = {
    "make demo": "the demo fixture runs it, first, as the README says",
    "make test": "this test is part of it",
    "python -m ops.snowflake bootstrap --plan": "needs the Snowflake settings the README sets first (an S3 landing)",
    "python -m ops.snowflake bootstrap --plan --online": "signs in to a Snowflake account",
    "python -m ops.snowflake bootstrap --apply": "signs in to a Snowflake account",
    "make image": "builds the container image: minutes, with a container engine (tests/test_dockerfile.py checks it)",
    "make rehearse": "plays production in containers for many minutes, from `make image` (tests/rehearsal/)",
}
SERVES = ("make luigid",)  # runs until stopped: the commands after it use it
SCREEN = 50  # lines of a terminal window
TABLES = ("Raw tables", "Markers:", "Marts (analytics.*)")  # what the demo shows of the warehouse
CHATTER = ("Informed scheduler", "UnconsumedParameterWarning", 'Parameter "param_name"', "XDG_RUNTIME_DIR",
           "Traceback", "Worker(salt=")  # fmt: skip


def commands(readme: str) -> list[tuple[str, int]]:
    """(command, expected exit code) of every line of every ```sh block, in order."""
    found = []
    for block in re.findall(r"^ *```sh\n(.*?)^ *```", readme, re.MULTILINE | re.DOTALL):
        for line in block.splitlines():
            command, _, comment = line.strip().partition(" #")
            if command.strip() and not command.startswith("#"):
                documented = re.search(r"\bexits (\d+)\b", comment)
                found.append((command.strip(), int(documented.group(1)) if documented else 0))
    return found


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.timeout(1800)
def test_every_readme_command_runs_as_written_after_make_demo(demo: Checkout) -> None:
    listed = commands((ROOT / "README.md").read_text())
    assert set(NOT_HERE) <= {command for command, _ in listed}, "NOT_HERE names a command the README no longer has"
    demo.stop_postgres()  # a new shell after a reboot: the commands that need it start it again
    servers, failures = [], []
    try:
        for command, expected in listed:
            if command in NOT_HERE:
                continue
            if command in SERVES:
                servers.append(demo.start(command))
                wait_for_port(demo.luigid_port())
                continue
            done = demo.run(command)
            if done.returncode != expected:
                failures.append(f"$ {command}\nexit {done.returncode}, expected {expected}:\n{done.stdout[-3000:]}")
    finally:
        for server in servers:
            demo.stop(server)
    assert not failures, "\n\n".join(failures)


def without_tables(output: str) -> list[str]:
    """The lines of the demo's output but its tables: a header line and its rows, with the blank lines around."""
    rest: list[str] = []
    in_table = False
    for line in output.splitlines():
        if line.startswith(TABLES):
            while rest and not rest[-1].strip():
                rest.pop()
            in_table = True
        elif in_table and not line.strip():
            in_table = False
        elif not in_table:
            rest.append(line)
    return rest


def test_make_demo_says_what_it_did_on_one_screen(demo: Checkout) -> None:
    output = demo.output[demo.output.index("Sample data") :]  # after make's own lines (a pip install, the command)
    lines = output.splitlines()
    rest = without_tables(output)
    assert len(rest) <= SCREEN, "\n".join(rest)
    assert not [line for line in demo.output.splitlines() if any(word in line for word in CHATTER)]
    run = "\n".join(rest)
    assert re.search(r"^\d\d:\d\d:\d\d done +LoadSecurityCheckLogs\(date=.*: \d+ rows", run, re.MULTILINE)
    assert re.search(r"^\d\d:\d\d:\d\d done +DbtNode\(.*: dbt built \d+ node\(s\)", run, re.MULTILINE)
    assert re.search(r"===== Luigi Execution Summary =====\n(.*\n)+.*:\) because", run)
    assert len(rest) < len(lines) - 20, "the tables of the raw data and the marts are shown"
