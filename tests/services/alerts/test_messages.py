"""The alert messages (services.alerts.messages): what a failure alert carries of a failed external program -
redacted, without the environment it ran in - of a missing secret (values redacted, names kept), and of a long
exception message (its head and the frames)."""

from __future__ import annotations

import pytest
from luigi.contrib.external_program import ExternalProgramTask
from luigi.execution_summary import LuigiStatusCode

from config import secrets
from config.secrets import redact
from services.alerts.messages import TRACEBACK_CHARS, TRACEBACK_LINES
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


class AlertsNeedsASecret(NeverComplete):
    """Fails as a task does when a variable it needs is not set."""

    def run(self) -> None:
        secrets.require("ReplicateOrgmTable", "duckdb")


def test_a_missing_secret_alert_names_the_task_and_the_variable(
    mattermost: FakeMattermost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HEROKU_POSTGRESQL_URL", raising=False)
    monkeypatch.setenv("SNOWFLAKE_TRANSFORM_PASSWORD", SECRET)

    assert build(AlertsNeedsASecret(), detailed_summary=True).status == LuigiStatusCode.FAILED

    [payload] = mattermost.payloads()
    needs = (
        "MissingSecretError: ReplicateOrgmTable needs environment variable(s) HEROKU_POSTGRESQL_URL, which are not "
        "set (Kubernetes Secret 'bizops', keys heroku-postgresql-url)"
    )
    assert payload["text"] == f":red_circle: **AlertsNeedsASecret** failed: {needs}"
    assert needs in payload["attachments"][0]["text"]
    # Values are still redacted, in every form: the registered secret's, and a NAME=value pair's.
    assert redact(f"login with {SECRET}: SNOWFLAKE_TRANSFORM_PASSWORD={SECRET}") == (
        "login with ***: SNOWFLAKE_TRANSFORM_PASSWORD=***"
    )


def _build_nodes() -> None:
    _run_dbt()


def _run_dbt() -> None:
    failures = "\n".join(f"model.bizops.m{i:03d}: error: Binder Error: column x not found" for i in range(300))
    raise RuntimeError(f"dbt built 0 of 300 node(s); failures:\n{failures}")


class AlertsLongMessage(NeverComplete):
    def run(self) -> None:
        _build_nodes()


def test_a_long_message_keeps_its_head_and_the_frames(mattermost: FakeMattermost) -> None:
    assert build(AlertsLongMessage(), detailed_summary=True).status == LuigiStatusCode.FAILED

    [payload] = mattermost.payloads()
    text = payload["attachments"][0]["text"]
    body = text.removeprefix("```\n").removesuffix("\n```")
    assert len(body.splitlines()) <= TRACEBACK_LINES and len(body) <= TRACEBACK_CHARS
    for frame in ("in run", "in _build_nodes", "in _run_dbt"):  # the innermost frames, the one that raised last
        assert frame in text
    assert "RuntimeError: dbt built 0 of 300 node(s); failures:\nmodel.bizops.m000: error: Binder Error" in text
    assert "model.bizops.m299" not in text and "more lines)" in text
