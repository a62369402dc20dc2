"""`python -m ops.roles`: validate config/roles.yml (or another spec) offline, with exit codes for CI."""

from __future__ import annotations

import pytest

from ops import roles
from tests.conftest import FIXTURES as ALL_FIXTURES
from tests.conftest import PERMIFROST_WARNINGS

FIXTURES = ALL_FIXTURES / "roles"
pytestmark = PERMIFROST_WARNINGS


def test_cli_validate_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert roles.main(["validate"]) == 0
    assert "valid" in capsys.readouterr().out
    assert roles.main(["validate", str(FIXTURES / "cycle.yml")]) == 1
    assert "analyst -> reporting -> auditor -> analyst" in capsys.readouterr().err
