"""The daily application of config/roles.yml (tasks.permissions): on Snowflake only, its day recorded."""

from __future__ import annotations

from datetime import date

import pytest

from services import permifrost
from tests.conftest import PERMIFROST_WARNINGS
from tests.conftest import ROLES_SPEC as SPEC

pytestmark = PERMIFROST_WARNINGS


def test_the_daily_task_applies_then_records_its_day(snowflake, monkeypatch: pytest.MonkeyPatch) -> None:
    """On Snowflake (fakesnow for the marker; permifrost's own run is covered above with its connector)."""
    from tasks.permissions import ApplyPermissions

    applied: list[str] = []
    monkeypatch.setattr(permifrost, "apply", lambda spec: applied.append(spec) or ["GRANT ..."] * 3)
    task = ApplyPermissions(date=date(2026, 11, 25))
    task.run()
    assert applied == [str(SPEC)] and task.complete()
    assert task.output().marker().row_count == 3


def test_the_daily_task_refuses_the_embedded_warehouse(env) -> None:
    from tasks.permissions import ApplyPermissions

    with pytest.raises(RuntimeError, match=r"grants on Snowflake; .* backend is duckdb"):
        ApplyPermissions(date=date(2026, 11, 25)).run()
