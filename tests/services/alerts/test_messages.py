"""The alert messages (services.alerts.messages): what a failure alert carries of a failed external program -
redacted, without the environment it ran in."""

from __future__ import annotations

import pytest
from luigi.contrib.external_program import ExternalProgramTask
from luigi.execution_summary import LuigiStatusCode

from tests.conftest import build
from tests.services.alerts.conftest import FakeMattermost, NeverComplete

SECRET = "Sn0wflake-Pa55-7f3a9c"
CANARY = "canary-value-5d1e"  # an unregistered, innocent-looking variable: visible only if the env dump leaks

LEAKY_SCRIPT = "echo $SNOWFLAKE_TRANSFORM_PASSWORD; echo failing with $SNOWFLAKE_TRANSFORM_PASSWORD >&2; exit 3"


class AlertsLeakyProgram(ExternalProgramTask, NeverComplete):
    def program_args(self) -> list[str]:
        return ["sh", "-c", LEAKY_SCRIPT]


# --- redaction --------------------------------------------------------------------------------------------------


def test_external_program_secret_and_environment_never_posted(
    mattermost: FakeMattermost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SNOWFLAKE_TRANSFORM_PASSWORD", SECRET)
    monkeypatch.setenv("BIZOPS_TEST_CANARY", CANARY)

    assert build(AlertsLeakyProgram(), detailed_summary=True).status == LuigiStatusCode.FAILED

    raw = mattermost.raw()
    assert SECRET not in raw
    assert CANARY not in raw  # the environment dump is dropped, not just redacted
    assert "ENVIRONMENT" not in raw
    [payload] = mattermost.payloads()
    assert payload["text"] == (
        ":red_circle: **AlertsLeakyProgram** failed: ExternalProgramRunError: Program failed with return code=3"
    )
    text = payload["attachments"][0]["text"]
    assert "COMMAND: sh -c 'echo $SNOWFLAKE_TRANSFORM_PASSWORD;" in text
    assert "failing with ***" in text  # the stderr tail, redacted
    assert "STDOUT" not in text
