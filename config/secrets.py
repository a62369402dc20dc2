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
    login: str = ""  # alternative credentials of one login share this name: any one of them set is enough

    def needed_by(self, family: str, backend: str) -> bool:
        return backend in self.backends and ("*" in self.tasks or family in self.tasks)


def _sf(env: str, tasks: tuple[str, ...], **options: str | bool) -> Secret:
    return Secret(env, env.lower().replace("_", "-"), tasks, backends=("snowflake",), **options)


def _key_pair_or_password(prefix: str, tasks: tuple[str, ...]) -> tuple[Secret, ...]:
    """A service login's credentials: an RSA private key (PEM text, or the path of a PEM file) with its optional
    passphrase - Snowflake's documented sign-in for service users - or, as a fallback, a password."""
    login = prefix.lower()
    return (
        _sf(f"{prefix}_PRIVATE_KEY", tasks, optional=True, login=login),
        _sf(f"{prefix}_PRIVATE_KEY_PATH", tasks, optional=True, login=login, credential=False),
        _sf(f"{prefix}_PRIVATE_KEY_PASSPHRASE", tasks, optional=True),
        _sf(f"{prefix}_PASSWORD", tasks, optional=True, login=login),
    )


_LOADER = LOADS + ("ReplicateOrgmTable",)
_TRANSFORMER = DBT + REPORTS + ("DrainWriteBackQueue",)
REGISTRY: tuple[Secret, ...] = (
    _sf("SNOWFLAKE_ACCOUNT", LOADS + DBT + REPORTS + ("ReplicateOrgmTable", "DrainWriteBackQueue")),
    _sf("SNOWFLAKE_LOAD_USER", _LOADER),
    *_key_pair_or_password("SNOWFLAKE_LOAD", _LOADER),
    _sf("SNOWFLAKE_TRANSFORM_USER", _TRANSFORMER),
    *_key_pair_or_password("SNOWFLAKE_TRANSFORM", _TRANSFORMER),
    # S3 locations and the account id come from the Secret too, but they are paths and ids, not credentials:
    # they appear in COPY statements and file names, so redaction leaves them alone.
    Secret("DIAGNOSTIC_LOCATION_ONE", "diagnostic-location-one", ("LoadSecurityCheckLogs",), credential=False),
    Secret("DIAGNOSTIC_LOCATION_TWO", "diagnostic-location-two", ("LoadSecurityCheckLogs",), credential=False),
    Secret("RELEASE_LOCATION", "release-location", ("LoadReleaseLogs",), credential=False),
    Secret("AWS_ACCOUNT_ID", "aws-account-id", ("LoadPushProxyLogs",), credential=False),
    Secret("HEROKU_POSTGRESQL_URL", "heroku-postgresql-url", POSTGRES),
    Secret("PERMISSION_BOT_USER", "snowflake-permission-user", PERMISSIONS, backends=("snowflake",)),
    # permifrost's own variables: a key file (it reads no key text) and its passphrase, or a password.
    Secret("PERMISSION_BOT_KEY_PATH", "snowflake-permission-key-path", PERMISSIONS, backends=("snowflake",),
           optional=True, login="permission_bot", credential=False),
    Secret("PERMISSION_BOT_KEY_PASSPHRASE", "snowflake-permission-key-passphrase", PERMISSIONS,
           backends=("snowflake",), optional=True),
    Secret("PERMISSION_BOT_PASSWORD", "snowflake-permission-password", PERMISSIONS, backends=("snowflake",),
           optional=True, login="permission_bot"),
    Secret("PERMISSION_BOT_ACCOUNT", "snowflake-account", PERMISSIONS, backends=("snowflake",)),
    Secret("PERMISSION_BOT_DATABASE", "snowflake-permission-database", PERMISSIONS, backends=("snowflake",)),
    Secret("PERMISSION_BOT_ROLE", "snowflake-permission-role", PERMISSIONS, backends=("snowflake",)),
    Secret("PERMISSION_BOT_WAREHOUSE", "snowflake-permission-warehouse", PERMISSIONS, backends=("snowflake",)),
    Secret("MATTERMOST_WEBHOOK_URL", "mattermost-webhook-url", EVERY_TASK, optional=True),
)
_BY_ENV = {s.env: s for s in REGISTRY}


class MissingSecretError(RuntimeError):
    """Raised before any work when environment variables a task needs are not set."""

    def __init__(self, family: str, names: Iterable[str | tuple[str, ...]]):
        """``names``: each a variable, or alternatives of which one is needed."""
        wanted = [(n,) if isinstance(n, str) else n for n in names]
        self.names = tuple(" or ".join(alternatives) for alternatives in wanted)
        keys = (" or ".join(_BY_ENV[n].key for n in alternatives) for alternatives in wanted)
        super().__init__(
            f"{family} needs environment variable(s) {', '.join(self.names)}, which are not set "
            f"(Kubernetes Secret '{K8S_SECRET}', keys {', '.join(keys)})"
        )


def needed(family: str, backend: str) -> list[Secret]:
    """The secrets a task family needs on a backend (the source of each pod's env list)."""
    return [s for s in REGISTRY if s.needed_by(family, backend)]


def require(family: str, backend: str) -> None:
    """Fail before any work, naming every required variable that is missing (and every login none of whose
    alternative credentials is set)."""
    wanted = needed(family, backend)
    missing: list[str | tuple[str, ...]] = [s.env for s in wanted if not s.optional and not os.environ.get(s.env)]
    logins: dict[str, list[str]] = {}
    for s in wanted:
        if s.login:
            logins.setdefault(s.login, []).append(s.env)
    missing += [tuple(envs) for envs in logins.values() if not any(os.environ.get(e) for e in envs)]
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
# NAME=value or name: value where the name says secret. An exception's type before its message is no such name
# ("MissingSecretError: ReplicateOrgmTable needs ..." names a task, not a value), hence the lookbehinds.
_ASSIGNMENT = re.compile(
    r"(?P<name>\b\w*(?:PASSWORD|SECRET|TOKEN|PASSPHRASE|_KEY)\w*"
    r"(?<!(?-i:Error))(?<!(?-i:Exception))(?<!(?-i:Warning))\s*[=:]\s*)\S+",
    re.IGNORECASE,
)
MASK = "***"


def looks_secret(name: str) -> bool:
    """A variable whose name says it holds a secret (a password, token, key...)."""
    return _ASSIGNMENT.fullmatch(f"{name}=x") is not None


def redact(text: str) -> str:
    """Remove every registered secret value, URL passwords and NAME=value pairs whose name says
    secret; used on everything that leaves the process (alerts, logs, exception text)."""
    values = sorted(
        {v for s in REGISTRY if s.credential and (v := os.environ.get(s.env)) and len(v) >= 4}
        | {v for k, v in os.environ.items() if looks_secret(k) and len(v) >= 4},
        key=len,
        reverse=True,
    )
    for value in values:
        text = text.replace(value, MASK)
    text = _URL_PASSWORD.sub(rf"\g<scheme>{MASK}@", text)
    return _ASSIGNMENT.sub(rf"\g<name>{MASK}", text)


_MISSING_TRACEBACK = re.compile(
    r"^Traceback \(most recent call last\):\n(?:.*\n)*?(?:config\.secrets\.)?MissingSecretError: ", re.MULTILINE
)


def install_log_redaction() -> None:
    """Redact every log record as it is created, whatever logger or handler: message, arguments and
    traceback (Luigi logs an ExternalProgramRunError with the whole environment of the failed program).
    Idempotent."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacting", False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        # A missing variable is not a bug: its message says what to set, a traceback would only bury it - the one
        # Luigi writes into its message when complete() raises, or the one of the record's exception.
        record.msg = _MISSING_TRACEBACK.sub("MissingSecretError: ", redact(record.getMessage()))
        record.args = None
        if record.exc_info and isinstance(record.exc_info[1], MissingSecretError):
            record.exc_text = f"MissingSecretError: {redact(str(record.exc_info[1]))}"
            record.exc_info = None
        elif record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return record

    factory.redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
