"""Log redaction as config.secrets installs it (tasks does so on import): every record, whatever its logger,
redacted as it is created - message, arguments, traceback - and a missing secret's traceback cut to its message."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from config import secrets

SECRET = "hunter2-not-for-logs"
logger = logging.getLogger("tests.redaction")


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """logging's own record factory, as before any redaction was installed; the process's restored after."""
    installed = logging.getLogRecordFactory()
    logging.setLogRecordFactory(logging.LogRecord)
    monkeypatch.setenv("SNOWFLAKE_LOAD_PASSWORD", SECRET)
    yield
    logging.setLogRecordFactory(installed)


def record(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    (last,) = caplog.records[-1:]
    return last


def test_installing_twice_redacts_once(fresh) -> None:
    secrets.install_log_redaction()
    factory = logging.getLogRecordFactory()
    secrets.install_log_redaction()
    assert logging.getLogRecordFactory() is factory
    assert factory.redacting is True


def test_message_and_arguments_are_redacted(fresh, caplog: pytest.LogCaptureFixture) -> None:
    secrets.install_log_redaction()
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("signed in with %s as %s", SECRET, "loader")
    line = record(caplog)
    assert (line.msg, line.args) == ("signed in with *** as loader", None)
    assert line.getMessage() == "signed in with *** as loader"


def test_an_exceptions_traceback_is_redacted_text(fresh, caplog: pytest.LogCaptureFixture) -> None:
    secrets.install_log_redaction()
    with caplog.at_level(logging.INFO, logger=logger.name):
        try:
            raise RuntimeError(f"connect failed: postgresql://bot:{SECRET}@db/x")
        except RuntimeError:
            logger.exception("load failed")
    line = record(caplog)
    assert line.exc_info is None
    assert line.exc_text.startswith("Traceback (most recent call last):\n")
    assert line.exc_text.endswith("RuntimeError: connect failed: postgresql://bot:***@db/x")
    assert SECRET not in caplog.text


def test_a_missing_secret_is_logged_as_its_message_alone(fresh, caplog: pytest.LogCaptureFixture) -> None:
    secrets.install_log_redaction()
    missing = secrets.MissingSecretError("LoadLicenses", ["SNOWFLAKE_ACCOUNT"])
    with caplog.at_level(logging.INFO, logger=logger.name):
        try:
            raise missing
        except secrets.MissingSecretError:
            logger.exception("cannot run")
        # Luigi writes the traceback of a complete() that raised into the message itself
        logger.warning("Traceback (most recent call last):\n  File \"x.py\", line 1, in f\n"
                       "config.secrets.MissingSecretError: %s", missing)  # fmt: skip
    failed, warned = caplog.records[-2:]
    assert (failed.exc_info, failed.exc_text) == (None, f"MissingSecretError: {missing}")
    assert warned.msg == f"MissingSecretError: {missing}"


def test_a_missing_login_names_every_variable_and_key_that_would_do() -> None:
    error = secrets.MissingSecretError(
        "LoadLicenses", ["SNOWFLAKE_ACCOUNT", ("SNOWFLAKE_LOAD_PRIVATE_KEY", "SNOWFLAKE_LOAD_PASSWORD")]
    )
    assert str(error) == (
        "LoadLicenses needs environment variable(s) SNOWFLAKE_ACCOUNT, SNOWFLAKE_LOAD_PRIVATE_KEY or "
        "SNOWFLAKE_LOAD_PASSWORD, which are not set (Kubernetes Secret 'bizops', keys snowflake-account, "
        "snowflake-load-private-key or snowflake-load-password)"
    )


def test_get_names_an_unregistered_or_unset_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(KeyError, match=r"NOT_A_SECRET is not in the secrets registry \(config/secrets\.py\)"):
        secrets.get("NOT_A_SECRET")
    with pytest.raises(KeyError, match="NOT_A_SECRET is not in the secrets registry"):
        secrets.get_optional("NOT_A_SECRET")
    monkeypatch.delenv("HEROKU_POSTGRESQL_URL", raising=False)
    with pytest.raises(secrets.MissingSecretError) as missing:
        secrets.get("HEROKU_POSTGRESQL_URL")
    assert str(missing.value).startswith("this step needs environment variable(s) HEROKU_POSTGRESQL_URL, ")
    assert missing.value.names == ("HEROKU_POSTGRESQL_URL",)
    monkeypatch.setenv("HEROKU_POSTGRESQL_URL", "postgresql://u:p@h/d")
    assert secrets.get("HEROKU_POSTGRESQL_URL") == "postgresql://u:p@h/d"


def test_a_secret_of_every_task_is_needed_by_any_family() -> None:
    webhook = [s.env for s in secrets.needed("AFamilyNoOneRegistered", "duckdb")]
    assert webhook == ["MATTERMOST_WEBHOOK_URL"]


# --- redact: which values, and in what order -----------------------------------------------------------------


def test_a_secret_inside_a_longer_one_leaves_nothing_of_either(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNOWFLAKE_LOAD_PASSWORD", "s3cr3t-value")
    monkeypatch.setenv("SNOWFLAKE_LOAD_PRIVATE_KEY_PASSPHRASE", "A-s3cr3t-value-B")
    assert secrets.redact("tried A-s3cr3t-value-B, then s3cr3t-value") == "tried ***, then ***"


def test_registered_credentials_and_values_of_secret_names_are_both_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEROKU_POSTGRESQL_URL", "postgres://orgm:pw-77@db.example/orgm")  # registered, plain name
    monkeypatch.setenv("BIZOPS_API_TOKEN", "tok-9f8e7d")  # not registered, but its name says secret
    assert secrets.redact("replicating from postgres://orgm:pw-77@db.example/orgm") == "replicating from ***"
    assert secrets.redact("sent tok-9f8e7d") == "sent ***"


def test_values_of_four_characters_are_redacted_shorter_ones_are_not(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shorter values would mask parts of ordinary words."""
    monkeypatch.setenv("SNOWFLAKE_LOAD_USER", "ldr7")
    monkeypatch.setenv("BIZOPS_API_TOKEN", "Tk4m")
    monkeypatch.setenv("SNOWFLAKE_TRANSFORM_USER", "trf")
    monkeypatch.setenv("BIZOPS_OTHER_TOKEN", "xyz")
    assert secrets.redact("ldr7 Tk4m trf xyz") == "*** *** trf xyz"
