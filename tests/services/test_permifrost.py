"""config/roles.yml through services.permifrost, offline: validation (permifrost's checks and ours), the dry-run
plan through permifrost's real `run --dry` code path on a stub connector, and user provisioning without leaks."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from permifrost.snowflake_connector import SnowflakeConnector
from permifrost.spec_file_loader import load_spec

from config import secrets as registry
from ops import roles
from services import permifrost
from services.permifrost import InvalidSpecError, PermifrostError
from tests.conftest import FIXTURES as ALL_FIXTURES
from tests.conftest import PERMIFROST_WARNINGS, ROOT
from tests.conftest import ROLES_SPEC as SPEC
from tests.permifrost_account import RecordedAccount

FIXTURES = ALL_FIXTURES / "roles"
pytestmark = PERMIFROST_WARNINGS
BOT_ENV = {s.env: f"test-{s.env.lower()}" for s in registry.needed(permifrost.FAMILY, "snowflake")}


def test_shipped_spec_is_valid() -> None:
    assert permifrost.validate(SPEC) == []
    assert permifrost.validate(FIXTURES / "minimal.yml") == []  # the base the bad fixtures change


def test_every_user_has_defaults_and_the_email_login_is_quoted() -> None:
    users = dict(permifrost._entries(load_spec(str(SPEC)), "users"))
    assert {"loader", "transformer", "permission_bot", "looker", '"first.last@example.com"'} <= users.keys()
    assert all(u.get("default_role") and u.get("default_warehouse") for u in users.values())
    admins = [name for name, u in users.items() if "accountadmin" in u["member_of"]]
    assert len(admins) == 2


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("unknown_field.yml", ['roles "reporting", field "warehouse": unknown field']),
        ("bad_privilege.yml", ['roles "reporting", field "privileges"', "unallowed values ('raed',)"]),
        ("undefined_database.yml", ["role reporting: privileges refer to database analytic, which is not defined"]),
        ("undefined_warehouse.yml", ["role reporting: warehouse reporting_xl is not defined"]),
        ("cycle.yml", ["circular role grants (member_of): analyst -> reporting -> auditor -> analyst"]),
        ("user_without_default_warehouse.yml", ["user looker: no default_warehouse"]),
        ("user_without_default_role.yml", ["user looker: no default_role"]),
        ("default_role_not_member_of.yml", ["user looker: default_role sysadmin is not among its member_of"]),
        ("default_warehouse_not_granted.yml", ["user looker: default_warehouse reporting_m is not granted"]),
        ("email_user.yml", ["user first.last@example.com: not a valid name", "'\"first.last@example.com\"'"]),
    ],
)
def test_each_kind_of_mistake_is_reported_naming_the_culprit(fixture: str, expected: list[str]) -> None:
    problems = permifrost.validate(FIXTURES / fixture)
    assert any(all(part in p for part in expected) for p in problems), problems


def test_member_of_undefined_role_in_list_and_include_exclude_forms_for_roles_and_users() -> None:
    problems = permifrost.validate(FIXTURES / "member_of_undefined_role.yml")
    assert "role reporting_all: member_of names undefined role reportng" in problems  # list form
    assert "role auditor: member_of names undefined role auditng" in problems  # {include, exclude}
    assert "user looker: member_of names undefined role reportng" in problems


def test_unreadable_or_non_yaml_spec(tmp_path: Path) -> None:
    assert permifrost.validate(tmp_path / "missing.yml")[0].startswith("cannot read")
    (tmp_path / "bad.yml").write_text("roles: [unclosed\n")
    assert permifrost.validate(tmp_path / "bad.yml")[0].startswith("not valid YAML")


def test_offline_plan_runs_permifrosts_dry_run() -> None:
    plan = permifrost.plan(SPEC)
    for statement in [
        "GRANT usage ON warehouse reporting_s TO ROLE reporting",
        "GRANT usage ON database analytics TO ROLE reporting",
        "GRANT imported privileges ON database snowflake TO ROLE reporting",
        "GRANT select ON ALL tables IN database analytics TO ROLE reporting",
        "GRANT select ON FUTURE tables IN database analytics TO ROLE reporting",
        "GRANT usage ON integration s3_landing TO ROLE loader",
        "GRANT usage, monitor, create table, create view, create stage, create file format, create sequence, "
        "create function, create pipe ON schema raw.orgm TO ROLE loader",
        "GRANT select, insert, update, delete, truncate, references ON table raw.pipeline.markers TO ROLE transformer",
        "GRANT select, insert, update, delete, truncate, references ON ALL tables IN database analytics"
        " TO ROLE transformer",
        "GRANT ROLE reporting TO user looker",
        'GRANT ROLE reporting_all TO user "first.last@example.com"',
        "ALTER USER looker SET DISABLED = FALSE, DEFAULT_WAREHOUSE = 'reporting_s', DEFAULT_ROLE = 'reporting'",
    ]:
        assert statement in plan
    # read-only roles get no write privilege anywhere, and reporting never touches raw
    assert not [s for s in plan if s.endswith(("ROLE reporting", "ROLE reporting_all")) and "insert" in s]
    assert not [s for s in plan if s.endswith("ROLE reporting") and " raw" in s]
    assert not [s for s in plan if s.startswith("REVOKE")]  # the stub account has no grants to take back
    # the tasks' roles create no schema: the bootstrap does (python -m ops.snowflake bootstrap)
    assert not [s for s in plan if "create schema ON database raw" in s and s.endswith(("loader", "transformer"))]


def test_offline_plan_is_deterministic_across_processes() -> None:
    first = permifrost.plan(SPEC)
    assert permifrost.plan(SPEC) == first
    # permifrost keeps entities in sets: a different hash seed must not reorder the plan
    out = subprocess.run(
        [sys.executable, "-m", "ops.roles", "plan"],
        cwd=ROOT,
        env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.splitlines() == [f"{s};" for s in first]


def test_plan_refuses_an_invalid_spec() -> None:
    with pytest.raises(InvalidSpecError) as err:
        permifrost.plan(FIXTURES / "user_without_default_warehouse.yml")
    assert "user looker: no default_warehouse" in str(err.value)
    assert roles.main(["plan", str(FIXTURES / "email_user.yml")]) == 1


def test_online_plan_needs_the_permission_bot_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in BOT_ENV:
        monkeypatch.delenv(env, raising=False)
    with pytest.raises(registry.MissingSecretError, match="PERMISSION_BOT_USER"):
        permifrost.plan(SPEC, online=True)


def test_permifrost_refusing_the_spec_is_an_error() -> None:
    class NotSecurityadmin(permifrost._stub_connector(load_spec(str(SPEC)))):
        def get_current_role(self) -> str:
            return "sysadmin"

    with pytest.raises(PermifrostError, match="Current role is not securityadmin"):
        permifrost._run_permifrost(SPEC, dry=True, connector=NotSecurityadmin)


# -- provisioning -------------------------------------------------------------------------------------------
def test_provisioning_statements_for_missing_users_only() -> None:
    spec = load_spec(str(SPEC))
    existing = ["loader", "transformer", "permission_bot", "jane_doe", "richard_roe", "alex_analyst"]
    statements = permifrost.provisioning_statements(spec, existing)
    assert [s.sql for s in statements] == [
        'CREATE USER IF NOT EXISTS "LOOKER" DEFAULT_ROLE = "REPORTING" DEFAULT_WAREHOUSE = "REPORTING_S"',
        'CREATE USER IF NOT EXISTS "first.last@example.com" DEFAULT_ROLE = "REPORTING_ALL"'
        ' DEFAULT_WAREHOUSE = "REPORTING_S"',
    ]
    assert all("PASSWORD" not in s.sql.upper() for s in statements)  # no password exists to leak
    # existing names as SHOW USERS has them (plain ones upper-case, the login bare) or quoted as in the spec
    assert permifrost.provisioning_statements(spec, [*existing, "LOOKER", "first.last@example.com"]) == []
    assert permifrost.provisioning_statements(spec, [*existing, "looker", '"first.last@example.com"']) == []


def test_provisioning_identifiers_are_strict() -> None:
    bad = {"users": [{'x" DISABLED = FALSE --': {"default_role": "r", "default_warehouse": "w"}}]}
    with pytest.raises(ValueError, match="not a valid Snowflake name"):
        permifrost.provisioning_statements(bad, [])


class FakeCursor:
    def __init__(self, account: FakeAccount) -> None:
        self.account = account

    def execute(self, sql: str) -> None:
        if self.account.fail:
            raise RuntimeError("SQL access control error: insufficient privileges")
        self.account.executed.append(sql)
        self.account.users.append(sql.split('"')[1])


class FakeAccount:
    """The DB-API side of a connector: records what would run; users created appear in SHOW USERS."""

    def __init__(self, users: list[str], fail: bool = False) -> None:
        self.users, self.fail = users, fail
        self.executed: list[str] = []

    def raw_connection(self) -> Any:
        account = self

        class Connection:
            def cursor(self) -> FakeCursor:
                return FakeCursor(account)

            def close(self) -> None:
                pass

        return Connection()


def _listed(name: str) -> str:
    """A SHOW USERS name as permifrost's show_users reports it, re-quoted like _AccountConnector does."""
    return SnowflakeConnector.snowflaky_user_role(name.lower() if re.fullmatch(r"\w*", name) else name)


def _connector(account: FakeAccount) -> Any:
    class Connector:
        engine = account

        def show_users(self) -> list[str]:
            return [_listed(u) for u in account.users]

    return Connector()


def test_account_connector_lists_an_email_login_as_the_spec_writes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"name": "LOOKER"}, {"name": "first.last@example.com"}]
    monkeypatch.setattr(SnowflakeConnector, "run_query", lambda self, query: SimpleNamespace(fetchall=lambda: rows))
    connector = permifrost._AccountConnector.__new__(permifrost._AccountConnector)  # no engine: no login
    assert connector.show_users() == ["looker", '"first.last@example.com"']
    assert [_listed(r["name"]) for r in rows] == connector.show_users()


def test_provision_users_creates_the_missing_ones(caplog: pytest.LogCaptureFixture) -> None:
    account = FakeAccount(["LOADER", "TRANSFORMER", "PERMISSION_BOT", "JANE_DOE", "RICHARD_ROE", "ALEX_ANALYST"])
    with caplog.at_level(logging.INFO):
        created = permifrost.provision_users(load_spec(str(SPEC)), _connector(account))
    assert created == ["looker", '"first.last@example.com"']
    assert [sql.split('"')[1] for sql in account.executed] == ["LOOKER", "first.last@example.com"]
    assert "created user looker" in caplog.text
    assert permifrost.provision_users(load_spec(str(SPEC)), _connector(account)) == []  # now they exist


def test_provisioning_errors_name_the_user() -> None:
    with pytest.raises(permifrost.ProvisioningError, match=r"creating user loader failed: .*insufficient"):
        permifrost.provision_users(load_spec(str(SPEC)), _connector(FakeAccount([], fail=True)))


def test_apply_provisions_then_runs_permifrost(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """permifrost's own code against a recorded account (tests/permifrost_account.py): apply creates the missing
    login first, then sends what permifrost's online dry run plans for the same account - and the dry run sends
    nothing."""
    for env, value in BOT_ENV.items():
        if "KEY_" not in env:  # a password login: the key pair is the other way in
            monkeypatch.setenv(env, value)
    account = RecordedAccount(ALL_FIXTURES / "permifrost" / "account.json").install(monkeypatch)
    spec = ALL_FIXTURES / "permifrost" / "spec.yml"
    with caplog.at_level(logging.DEBUG):
        statements = permifrost.apply(spec)
    assert account.sent[0].startswith('CREATE USER IF NOT EXISTS "first.last@example.com" ')
    assert account.sent[1:] == statements
    assert "REVOKE select ON table analytics.retired.old_arr FROM ROLE reporting" in statements
    assert not [s for s in statements if s.startswith("GRANT usage ON warehouse")]  # granted already
    assert permifrost.plan(spec, online=True) == statements
    assert len(account.sent) == 1 + len(statements)
    out = capsys.readouterr()
    assert BOT_ENV["PERMISSION_BOT_PASSWORD"] not in caplog.text + out.out + out.err


def test_apply_reports_failed_statements(monkeypatch: pytest.MonkeyPatch) -> None:
    for env, value in BOT_ENV.items():
        monkeypatch.setenv(env, value)

    class Account(permifrost._stub_connector(load_spec(str(SPEC)))):  # every user exists; every GRANT fails
        def run_query(self, query: str) -> None:
            raise RuntimeError("insufficient privileges")

    monkeypatch.setattr(permifrost, "_AccountConnector", Account)
    with pytest.raises(PermifrostError, match=r"statements failed:\nGRANT usage ON warehouse analyst_xs"):
        permifrost.apply(SPEC)
