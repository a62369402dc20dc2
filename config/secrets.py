"""The registry of secrets: every environment variable the pipeline reads, where it comes from in
Kubernetes, and which tasks need it.

Secrets come only from the environment (Kubernetes Secrets in production). A task checks its
variables before doing any work (``require``), and everything that leaves the process - logs,
alerts, exception text - goes through ``redact``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from config.settings import BACKENDS

K8S_SECRET = "bizops"  # the one Kubernetes Secret the keys below live in

LOADS = ("LoadSecurityCheckLogs", "LoadReleaseLogs", "LoadPushProxyLogs", "LoadLicenses")
DBT = ("DbtBuild", "DbtRun", "DbtTest", "DbtSourceFreshness", "DbtSeed")
POSTGRES = ("RunPostgresScript", "ReplicateOrgmTable", "DrainWriteBackQueue")
PERMISSIONS = ("ApplyPermissions",)
REPORTS = ("PostMetricsDigest",)
EVERY_TASK = ("*",)


@dataclass(frozen=True)
class Secret:
    env: str  # the environment variable the code reads
    key: str  # its key in the Kubernetes Secret K8S_SECRET
    tasks: tuple[str, ...]  # task families that need it ("*" = every task)
    backends: tuple[str, ...] = BACKENDS  # needed only on these warehouse backends
    optional: bool = False  # absent = feature off (reported once), not an error
    credential: bool = True  # redacted wherever text leaves the process; locations and ids are not

    def needed_by(self, family: str, backend: str) -> bool:
        return backend in self.backends and ("*" in self.tasks or family in self.tasks)


def _sf(env: str, tasks: tuple[str, ...]) -> Secret:
    return Secret(env, env.lower().replace("_", "-"), tasks, backends=("snowflake",))


REGISTRY: tuple[Secret, ...] = (
    _sf("SNOWFLAKE_ACCOUNT", LOADS + DBT + REPORTS + ("ReplicateOrgmTable", "DrainWriteBackQueue")),
    _sf("SNOWFLAKE_LOAD_USER", LOADS + ("ReplicateOrgmTable",)),
    _sf("SNOWFLAKE_LOAD_PASSWORD", LOADS + ("ReplicateOrgmTable",)),
    _sf("SNOWFLAKE_TRANSFORM_USER", DBT + REPORTS + ("DrainWriteBackQueue",)),
    _sf("SNOWFLAKE_TRANSFORM_PASSWORD", DBT + REPORTS + ("DrainWriteBackQueue",)),
    # S3 locations and the account id come from the Secret too, but they are paths and ids, not credentials:
    # they appear in COPY statements and file names, so redaction leaves them alone.
    Secret("DIAGNOSTIC_LOCATION_ONE", "diagnostic-location-one", ("LoadSecurityCheckLogs",), credential=False),
    Secret("DIAGNOSTIC_LOCATION_TWO", "diagnostic-location-two", ("LoadSecurityCheckLogs",), credential=False),
    Secret("RELEASE_LOCATION", "release-location", ("LoadReleaseLogs",), credential=False),
    Secret("AWS_ACCOUNT_ID", "aws-account-id", ("LoadPushProxyLogs",), credential=False),
    Secret("HEROKU_POSTGRESQL_URL", "heroku-postgresql-url", POSTGRES),
    Secret("PERMISSION_BOT_USER", "snowflake-permission-user", PERMISSIONS, backends=("snowflake",)),
    Secret("PERMISSION_BOT_PASSWORD", "snowflake-permission-password", PERMISSIONS, backends=("snowflake",)),
    Secret("PERMISSION_BOT_ACCOUNT", "snowflake-account", PERMISSIONS, backends=("snowflake",)),
    Secret("PERMISSION_BOT_DATABASE", "snowflake-permission-database", PERMISSIONS, backends=("snowflake",)),
    Secret("PERMISSION_BOT_ROLE", "snowflake-permission-role", PERMISSIONS, backends=("snowflake",)),
    Secret("PERMISSION_BOT_WAREHOUSE", "snowflake-permission-warehouse", PERMISSIONS, backends=("snowflake",)),
    Secret("MATTERMOST_WEBHOOK_URL", "mattermost-webhook-url", EVERY_TASK, optional=True),
)
_BY_ENV = {s.env: s for s in REGISTRY}


class MissingSecretError(RuntimeError):
    """Raised before any work when environment variables a task needs are not set."""

    def __init__(self, family: str, names: Iterable[str]):
        self.names = tuple(names)
        super().__init__(
            f"{family} needs environment variable(s) {', '.join(self.names)}, which are not set "
            f"(Kubernetes Secret '{K8S_SECRET}', keys {', '.join(_BY_ENV[n].key for n in self.names)})"
        )


def needed(family: str, backend: str) -> list[Secret]:
    """The secrets a task family needs on a backend (the source of each pod's env list)."""
    return [s for s in REGISTRY if s.needed_by(family, backend)]


def require(family: str, backend: str) -> None:
    """Fail before any work, naming every required variable that is missing."""
    missing = [s.env for s in needed(family, backend) if not s.optional and not os.environ.get(s.env)]
    if missing:
        raise MissingSecretError(family, missing)


def get(env: str) -> str:
    """The value of a registered secret; a clear error naming it when it is not set."""
    if env not in _BY_ENV:
        raise KeyError(f"{env} is not in the secrets registry (config/secrets.py)")
    value = os.environ.get(env)
    if not value:
        raise MissingSecretError("this step", [env])
    return value


def get_optional(env: str) -> str | None:
    if env not in _BY_ENV:
        raise KeyError(f"{env} is not in the secrets registry (config/secrets.py)")
    return os.environ.get(env) or None


# The lookbehind anchors the scheme at a word start: without it a long run of [a-z0-9+.-] is retried
# from every position, in time quadratic in its length.
_URL_PASSWORD = re.compile(r"(?<![a-z0-9+.-])(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+@", re.IGNORECASE)
_ASSIGNMENT = re.compile(r"(?P<name>\b\w*(?:PASSWORD|SECRET|TOKEN|PASSPHRASE|_KEY)\w*\s*[=:]\s*)\S+", re.IGNORECASE)
MASK = "***"


def redact(text: str) -> str:
    """Remove every registered secret value, URL passwords and NAME=value pairs whose name says
    secret; used on everything that leaves the process (alerts, logs, exception text)."""
    values = sorted(
        {v for s in REGISTRY if s.credential and (v := os.environ.get(s.env)) and len(v) >= 4}
        | {v for k, v in os.environ.items() if _ASSIGNMENT.fullmatch(f"{k}=x") and len(v) >= 4},
        key=len,
        reverse=True,
    )
    for value in values:
        text = text.replace(value, MASK)
    text = _URL_PASSWORD.sub(rf"\g<scheme>{MASK}@", text)
    return _ASSIGNMENT.sub(rf"\g<name>{MASK}", text)


def install_log_redaction() -> None:
    """Redact every log record as it is created, whatever logger or handler: message, arguments and
    traceback (Luigi logs an ExternalProgramRunError with the whole environment of the failed program).
    Idempotent."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacting", False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return record

    factory.redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
