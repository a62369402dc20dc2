"""The daily application of config/roles.yml (tasks.permissions): on Snowflake only, its day recorded."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import FIXTURES, PERMIFROST_WARNINGS
from tests.permifrost_account import RecordedAccount

pytestmark = PERMIFROST_WARNINGS
ACCOUNT = FIXTURES / "permifrost"
# What the spec (spec.yml) asks of the recorded account (account.json), as Snowflake statements: the missing
# login created, the missing grants, the grant the spec no longer lists revoked. Nothing already granted (usage
# on the warehouse and the database, looker's role) is granted again.
CREATED = (
    'CREATE USER IF NOT EXISTS "first.last@example.com" DEFAULT_ROLE = "REPORTING" DEFAULT_WAREHOUSE = "REPORTING_S"'
)
APPLIED = [
    "GRANT operate ON warehouse reporting_s TO ROLE reporting",
    "GRANT monitor ON warehouse reporting_s TO ROLE reporting",
    "GRANT usage ON schema analytics.marts TO ROLE reporting",
    "GRANT select ON FUTURE tables IN schema analytics.marts TO ROLE reporting",
    "GRANT select ON ALL tables IN schema analytics.marts TO ROLE reporting",
    "GRANT select ON FUTURE views IN schema analytics.marts TO ROLE reporting",
    "GRANT select ON ALL views IN schema analytics.marts TO ROLE reporting",
    "REVOKE select ON table analytics.retired.old_arr FROM ROLE reporting",
    "ALTER USER looker SET DISABLED = FALSE, DEFAULT_WAREHOUSE = 'reporting_s', DEFAULT_ROLE = 'reporting'",
    """ALTER USER "first.last@example.com" SET DISABLED = FALSE, DEFAULT_WAREHOUSE = 'reporting_s', """
    "DEFAULT_ROLE = 'reporting'",
    'GRANT ROLE reporting TO user "first.last@example.com"',
]


def test_the_daily_task_applies_then_records_its_day(snowflake, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through permifrost's own code against a recorded account; the marker on Snowflake (fakesnow)."""
    from tasks.permissions import ApplyPermissions

    account = RecordedAccount(ACCOUNT / "account.json").install(monkeypatch)
    task = ApplyPermissions(date=date(2026, 11, 25), spec=str(ACCOUNT / "spec.yml"))
    assert not task.complete()
    task.run()
    assert account.sent == [CREATED, *APPLIED]
    assert task.complete()
    assert task.output().marker().row_count == len(APPLIED)


def test_the_daily_task_refuses_the_embedded_warehouse(env) -> None:
    from tasks.permissions import ApplyPermissions

    with pytest.raises(RuntimeError, match=r"grants on Snowflake; .* backend is duckdb"):
        ApplyPermissions(date=date(2026, 11, 25)).run()
