"""The smoke check (ops.snowflake.check) against the recording account of tests/snowflake_account.py, which answers
as the documentation describes Snowflake: what it finds, the table it prints, and its exit code when an account
contradicts what the pipeline assumes."""

from __future__ import annotations

import io
from datetime import date

import pytest

from devdata.generate import generate
from devdata.writers import write_files
from ops import __main__ as ops_main
from ops.snowflake import check
from ops.snowflake.privileges import Privilege

DAY = date(2024, 3, 4)


@pytest.fixture
def landed(env, s3: str, settings) -> None:
    settings.set("landing", "url", s3)
    write_files([f for f in generate(DAY, 1, 3, seed=5).files if f.key.startswith("diagnostics/")], s3)


def shown(role: str, privileges: list[Privilege]) -> list[tuple]:
    """SHOW GRANTS TO ROLE rows: created_on, privilege, granted_on, name, granted_to, grantee_name."""
    return [("2024-01-01", p.privilege, p.kind.replace(" ", "_"), p.name, "ROLE", role) for p in privileges]


@pytest.fixture
def granted(snowflake) -> None:
    """Every task role holds what its statements need; the loader's through a role granted to it."""
    needed = check.needed_privileges()
    snowflake.grants = {"TRANSFORMER": shown("TRANSFORMER", needed["transformer"]),
                        "PERMISSION_BOT": shown("PERMISSION_BOT", needed["permission_bot"]),
                        "LOADER": [("2024-01-01", "USAGE", "ROLE", "LOADING_ROLE", "ROLE", "LOADER")],
                        "LOADING_ROLE": shown("LOADING_ROLE", needed["loader"])}  # fmt: skip


def test_an_account_as_documented_passes(landed, snowflake, granted):
    out = io.StringIO()
    assert check.main(DAY, out) == 0
    table = out.getvalue()
    for line in [
        "METADATA$FILENAME  ", "(path in the bucket)", "first row 1", "COPY of a file it loaded before",
        "Copy executed with 0 files processed.", "PUT inside a transaction", "the transaction stays open",
        "privileges of LOADER (loader)", "all 46 held",
    ]:  # fmt: skip
        assert line in table, table
    assert "DIFFERS" not in table


def test_each_contradiction_fails_the_check_naming_it(landed, snowflake, granted):
    snowflake.transaction_id = None  # PUT ended the transaction
    snowflake.grants["TRANSFORMER"] = snowflake.grants["TRANSFORMER"][1:]
    findings = {f.check: f for f in check.run(DAY)}
    assert findings["PUT inside a transaction"].ok is False
    transformer = findings["privileges of TRANSFORMER (transformer)"]
    assert transformer.ok is False and transformer.found.startswith("missing: ")
    assert check.main(DAY, io.StringIO()) == 1


def test_a_copy_that_reloads_a_skipped_file_is_reported(landed, snowflake, granted):
    snowflake.copy_answer = lambda table, urls, forced: [(u, "LOADED", 3, 3, 1, 0, *[None] * 4) for u in urls]
    findings = {f.check: f for f in check.run(DAY)}
    assert findings["COPY of a file it loaded before"].ok is False  # its load metadata did not skip it


def test_without_logins_nothing_is_checked_and_nothing_fails(env, monkeypatch, settings):
    settings.set("warehouse", "backend", "snowflake")
    for name in ("SNOWFLAKE_LOAD_USER", "PERMISSION_BOT_USER"):
        monkeypatch.delenv(name, raising=False)
    out = io.StringIO()
    assert check.main(DAY, out) == 0
    assert all(f.ok is None for f in check.run(DAY))
    assert "no loader login" in out.getvalue()


def test_the_ops_command_runs_it(landed, snowflake, granted, capsys):
    assert ops_main.main(["snowflake-check", "--day", DAY.isoformat()]) == 0
    assert "METADATA$FILE_ROW_NUMBER after 2 header lines" in capsys.readouterr().out
