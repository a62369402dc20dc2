"""Every statement the Snowflake backend sends, recorded (tests/snowflake_account.py) and committed as golden files in
tests/ops/snowflake/statements/, one per scenario: the bootstrap; loads (a day, a batch of days, rejects, an
invalidated day reloaded, a backfill); the replication (a full load onto an earlier loader's table, an
incremental run, a reset, a new table, the status); the write-back; the permission task; the ops commands and the
smoke check. Markers are read and written in each.

Each statement parses as Snowflake SQL (sqlglot, errors raised), stays within Snowflake's limits (IN lists of at
most 16,384 expressions, FILES of at most 1,000 names, QUERY_TAG of at most 2,000 characters) and has as many bind
marks as parameters. A change to what the code sends shows as a diff of the golden files; after reviewing it:

    UPDATE_GOLDEN=1 PYTHONPATH=. .venv/bin/pytest tests/ops/snowflake -p no:cacheprovider
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from devdata.generate import generate
from devdata.writers import write_files
from ops import commands
from ops import replication as ops_replication
from ops.snowflake import check
from services import permifrost
from services.replication import replicate_table
from targets.postgres.session import PgSession
from targets.warehouse.connect import connect
from tasks.extract.sources import LoadLicenses, LoadPushProxyLogs, LoadReleaseLogs, LoadSecurityCheckLogs
from tasks.permissions import ApplyPermissions
from tasks.publish.write_back import DrainWriteBackQueue
from tests.conftest import SLOT, SNOWFLAKE_LOGINS, build
from tests.conftest import pg_query as query
from tests.ops.snowflake.recorded import GOLDEN, UPDATE_ENV, login_problems, problems, render, statements
from tests.snowflake_account import Login, Sent

DAY = date(2024, 3, 4)  # fixed: the files' names and the query tags are in the golden files
NEXT = date(2024, 3, 5)
ROLES_OF_POD = {  # the logins a pod of each kind has: the marker reads use the one there is
    "loader": ("SNOWFLAKE_TRANSFORM_USER",),
    "transformer": ("SNOWFLAKE_LOAD_USER",),
    "permission_bot": ("SNOWFLAKE_LOAD_USER", "SNOWFLAKE_TRANSFORM_USER"),
}


def as_pod(monkeypatch: pytest.MonkeyPatch, profile: str) -> None:
    for name in ROLES_OF_POD[profile]:
        monkeypatch.delenv(name)


def since(account, start: int) -> list[Sent | Login]:
    return account.log[start:]


def compare(name: str, recorded: list[Sent | Login]) -> None:
    """Every statement passes the checks, and the recording is the golden file (rewritten under UPDATE_GOLDEN)."""
    text = render(recorded)
    bad = [f"{s.sql[:300]}\n  -> {p}" for s in statements(text) for p in problems(s)]
    bad += [f"login {item.profile}: {p}" for item in recorded if isinstance(item, Login) for p in login_problems(item)]
    assert not bad, "\n".join(bad)
    assert not [k for k, v in SNOWFLAKE_LOGINS.items() if k.endswith("PASSWORD") and v in text]  # never a secret
    path = GOLDEN / f"{name}.sql"
    if os.environ.get(UPDATE_ENV):
        path.write_text(text)
    assert path.exists(), f"no {path}: record it with {UPDATE_ENV}=1"
    assert text == path.read_text(), f"the statements differ from {path}: review the diff, then {UPDATE_ENV}=1"


@pytest.fixture
def landing(env, s3: str, settings) -> str:
    """The sample files of two days in the S3 landing zone the stages point at (set before the bootstrap)."""
    settings.set("landing", "url", s3)
    settings.set("loading", "max_reject_share", 0.5)
    write_files(generate(DAY, 2, 3, seed=5).files, s3)
    return s3


def test_the_bootstrap(snowflake):
    compare("bootstrap", since(snowflake, 0))


def test_loads(landing, snowflake, monkeypatch):
    as_pod(monkeypatch, "loader")
    start = len(snowflake.log)
    assert build(LoadSecurityCheckLogs(date=DAY), LoadLicenses(date=DAY), LoadPushProxyLogs(region="us", date=DAY))
    assert build(LoadReleaseLogs(date=DAY), LoadReleaseLogs(date=NEXT))  # ready together: one batch

    def with_rejects(table: str, urls: list[str], forced: bool) -> list[tuple]:
        return [(u, "PARTIALLY_LOADED", 10, 9, 10, 1, "Numeric value 'x' is not recognized", 7, 3, "BYTESSENT")
                for u in urls]  # fmt: skip

    snowflake.copy_answer = with_rejects
    assert build(LoadSecurityCheckLogs(date=NEXT))
    snowflake.copy_answer = None
    commands.invalidate([LoadSecurityCheckLogs(date=DAY)], confirm=False)
    assert build(LoadSecurityCheckLogs(date=DAY))  # its files replace their rows
    assert commands.backfill([[LoadLicenses(date=NEXT)]]) == 0  # the exit code of a run
    compare("loads", since(snowflake, start))


@pytest.fixture
def earlier_loaders_table(snowflake, orgm) -> Iterator[dict]:
    """raw.orgm.contact as a loader before this one left it: made and filled outside the recording. (Tables of at
    most 10 columns: fakesnow's COPY misnames the columns of wider files.)"""
    with connect("earlier", "loader") as s, PgSession("earlier") as pg:
        replicate_table(s, pg, "contact")
    yield orgm


def test_replication(earlier_loaders_table, snowflake, monkeypatch):
    as_pod(monkeypatch, "loader")
    dsn = earlier_loaders_table["dsn"]
    start = len(snowflake.log)
    ops_replication.reset("contact")  # a full load onto a table another role made
    query(dsn, "UPDATE orgm.contact SET email = 'new@example.com', systemmodstamp = now()")
    with connect("t", "loader") as s, PgSession("t") as pg:
        assert replicate_table(s, pg, "contact").mode == "incremental"
        assert replicate_table(s, pg, "user").mode == "full"  # a table this loader makes
    assert ops_replication.status()
    compare("replication", since(snowflake, start))


def test_write_back(snowflake, orgm, settings, monkeypatch):
    settings.set("write_back", "min_rows", 1)
    with connect("dbt", "transformer") as s:  # what dbt builds and queues
        s.execute("CREATE SCHEMA IF NOT EXISTS analytics.cs")
        s.execute("CREATE TABLE analytics.cs.account_health_score (account_sfid VARCHAR, health_score NUMBER(5,2))")
        s.execute("INSERT INTO analytics.cs.account_health_score VALUES (?, ?)", (orgm["customer"], Decimal("40")))
        s.execute("INSERT INTO analytics.util.pg_imports (source_table, destination_table, created_at) VALUES (?, ?, "
                  "CURRENT_TIMESTAMP)", ("analytics.cs.account_health_score", "staging.account_health_score"))
    as_pod(monkeypatch, "transformer")
    start = len(snowflake.log)
    assert build(DrainWriteBackQueue(slot=SLOT), requirements=False)
    compare("write_back", since(snowflake, start))


def test_permissions(snowflake, monkeypatch):
    as_pod(monkeypatch, "permission_bot")
    monkeypatch.setattr(permifrost, "apply", lambda spec: ["GRANT ..."])  # permifrost signs in on its own
    start = len(snowflake.log)
    task = ApplyPermissions(date=DAY)
    task.run()
    assert task.complete()
    compare("permissions", since(snowflake, start))


def test_ops_commands(landing, snowflake, capsys):
    start = len(snowflake.log)
    commands.status([LoadLicenses(date=DAY)])
    commands.invalidate([LoadLicenses(date=DAY)], confirm=False)
    assert "1 task(s) would run" in capsys.readouterr().out
    compare("ops", since(snowflake, start))


def test_the_smoke_check(landing, snowflake, tmp_path: Path):
    start = len(snowflake.log)
    findings = check.run(DAY)
    assert [f.check for f in findings][:3] == [
        "METADATA$FILENAME", "METADATA$FILE_ROW_NUMBER after 2 header lines", "COPY of a file"]  # fmt: skip
    compare("smoke_check", since(snowflake, start))
