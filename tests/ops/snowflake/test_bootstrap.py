"""The bootstrap (ops.snowflake.bootstrap): statements that converge, applied on fakesnow behind the recording account
(the ``snowflake`` fixture applies it), run again without harm, and adding what an existing table lacks; the
command line."""

from __future__ import annotations

import re

import pytest

from config.settings import snowflake as snowflake_settings
from ops.snowflake import bootstrap, cli
from services import permifrost
from targets.markers.stores import MARKER_COLUMNS, marker_table
from targets.warehouse.connect import connect
from targets.warehouse.snowflake_session import NotBootstrappedError
from tests.conftest import PERMIFROST_WARNINGS, SNOWFLAKE_LANDING

CONVERGING = re.compile(
    r"^(USE ROLE \w+|CREATE (DATABASE|SCHEMA|TABLE|STAGE) IF NOT EXISTS |CREATE OR ALTER (FILE FORMAT|STAGE) "
    r"|GRANT (USAGE|OWNERSHIP) ON (FILE FORMAT|STAGE) |ALTER USER IF EXISTS )"
)


@pytest.fixture
def s3_landing(settings) -> None:
    settings.set("landing", "url", SNOWFLAKE_LANDING)


def test_every_statement_converges_and_drops_nothing(s3_landing):
    statements = bootstrap.statements()
    assert [s for s in statements if not CONVERGING.match(s)] == []
    assert statements[0] == "USE ROLE SYSADMIN" and "USE ROLE SECURITYADMIN" in statements


def test_it_makes_every_table_the_tasks_declare_and_the_schemas_the_loader_fills(s3_landing):
    created = {m[1] for s in bootstrap.statements() if (m := re.match(r"CREATE TABLE IF NOT EXISTS (\S+) ", s))}
    assert created == set(bootstrap.declared_tables())
    assert {"raw.pipeline.load_history", "raw.pipeline.rejects", marker_table(), "raw.pipeline.replication_state",
            "analytics.util.pg_imports", "raw.diagnostics.log_entries", "raw.licenses.licenses"} <= created  # fmt: skip
    assert "CREATE SCHEMA IF NOT EXISTS raw.orgm" in bootstrap.statements()  # where the loader makes tables


def test_it_grants_what_permifrost_cannot_express(s3_landing):
    statements = bootstrap.statements()
    assert "GRANT USAGE ON STAGE raw.licenses.licenses_stage TO ROLE LOADER" in statements
    assert "GRANT USAGE ON FILE FORMAT raw.pipeline.cloudfront_log TO ROLE LOADER" in statements
    assert "GRANT OWNERSHIP ON STAGE raw.pipeline.uploads TO ROLE LOADER COPY CURRENT GRANTS" in statements


@PERMIFROST_WARNINGS
def test_the_loader_uses_the_storage_integration_the_stages_name(s3_landing):
    """USAGE on the integration is roles.yml's (permifrost's integrations); the stages name the same one."""
    integration = snowflake_settings().storage_integration
    assert f"GRANT usage ON integration {integration.lower()} TO ROLE loader" in permifrost.plan()
    stages = [s for s in bootstrap.statements() if s.startswith("CREATE OR ALTER STAGE")]
    assert stages and all(s.endswith(f"STORAGE_INTEGRATION = {integration}") for s in stages)


def test_the_service_users_get_statement_and_lock_timeouts(s3_landing, settings):
    """dbt's sessions take no session parameters: its user's own bound every statement and lock wait."""
    settings.set("snowflake", "lock_timeout_seconds", 77)
    statements = bootstrap.statements()
    for user in ("loader", "transformer"):
        assert f"ALTER USER IF EXISTS {user} SET STATEMENT_TIMEOUT_IN_SECONDS = 3600 LOCK_TIMEOUT = 77" in statements


def test_run_again_it_changes_nothing_and_adds_what_a_table_lacks(snowflake):
    with connect("admin", "admin") as s:
        assert bootstrap.apply(s) == bootstrap.statements()  # nothing to add
        s.execute(f"ALTER TABLE {marker_table()} DROP COLUMN code_version")  # a table from an older bootstrap
        with pytest.raises(NotBootstrappedError, match="lacks column"), connect("t", "transformer") as t:
            t.ensure_table(marker_table(), MARKER_COLUMNS)
        added = [sql for sql in bootstrap.apply(s) if sql.startswith("ALTER TABLE")]
    assert added == [f"ALTER TABLE {marker_table()} ADD COLUMN code_version VARCHAR"]
    with connect("t", "transformer") as t:
        t.ensure_table(marker_table(), MARKER_COLUMNS)


def test_the_command_line(s3_landing, capsys):
    assert cli.main(["bootstrap", "--plan"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"{sql};" for sql in bootstrap.statements()]
    assert cli.main(["bootstrap", "--apply"]) == 1  # the embedded warehouse makes its own tables
    assert "backend is not snowflake" in capsys.readouterr().err


def test_the_command_line_applies_on_snowflake(snowflake, capsys):
    assert cli.main(["bootstrap", "--plan", "--online"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{sql};" for sql in bootstrap.statements()]
    assert cli.main(["bootstrap", "--apply"]) == 0
