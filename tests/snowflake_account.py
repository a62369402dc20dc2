"""A Snowflake account for tests: the real connector on fakesnow (patch mode), behind a recording connection.

Every statement a session sends is recorded with the role and warehouse it ran under and the types of its
parameters (never their values), and every login with its connection arguments (never its credentials). What
fakesnow cannot run is answered here as Snowflake answers it:

- grants, role switches and user parameters (fakesnow has no access control), REMOVE, temporary tables outside
  its own catalog, CURRENT_TRANSACTION(): acknowledged;
- a transforming COPY from an external (S3) stage, which fakesnow cannot read: each named file is reported in
  Snowflake's shape - its full URL, LOADED and its line count - unless COPY's load metadata skips it (a file
  loaded into that table before, without FORCE): then it is absent, and a COPY that loads nothing answers with
  Snowflake's single 'Copy executed with 0 files processed.' row. ``copy_answer`` replaces this for a test;
- LIST of and SELECT from an external stage: the landing bucket's objects (moto's S3) and their metadata;
- SHOW GRANTS TO ROLE: ``grants``, set by the test.

Nothing here is inserted into tables: recorded statements and the shapes of Snowflake's answers are the point.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from config.settings import snowflake as snowflake_settings
from targets import landing

ADMIN_ROLE = "SYSADMIN"
STATUS = [("status", "TEXT")]
COPY_COLUMNS = ["file", "status", "rows_parsed", "rows_loaded", "error_limit", "errors_seen", "first_error",
                "first_error_line", "first_error_character", "first_error_column_name"]  # fmt: skip
NOTHING_COPIED = [("Copy executed with 0 files processed.",)]
_ACKNOWLEDGED = re.compile(
    r"^\s*(GRANT|REVOKE|USE ROLE|ALTER USER|REMOVE|CREATE TEMPORARY TABLE|SELECT CURRENT_TRANSACTION\(\))(?!\w)", re.I
)
_STAGE_URL = re.compile(r"^CREATE (?:OR ALTER )?STAGE (?:IF NOT EXISTS )?(\S+) URL = '([^']*)'", re.I)
_EXTERNAL_COPY = re.compile(r"^COPY INTO (\S+) .*?FROM \(SELECT .*? FROM @([\w.$]+)\)(.*)$", re.I | re.S)
_FILES = re.compile(r"FILES = \(([^)]*)\)", re.I)
_STAGE_READ = re.compile(r"^(?:LIST|SELECT .*? FROM) @([\w.$]+)/?(\S*)", re.I | re.S)
_SHOW_GRANTS = re.compile(r"^SHOW GRANTS TO ROLE (\w+)", re.I)


@dataclass(frozen=True)
class Sent:
    """A statement as the account received it."""

    profile: str  # whose session: loader, transformer, permission_bot or admin (the bootstrap's)
    role: str
    warehouse: str
    sql: str
    types: tuple[str, ...]  # of the bind parameters, in order


@dataclass(frozen=True)
class Login:
    profile: str
    arguments: dict[str, Any]  # what connect() was given, credentials replaced by their kind


def profile_of(role: str) -> str:
    cfg = snowflake_settings()
    roles = {cfg.load_role: "loader", cfg.transform_role: "transformer", cfg.permission_role: "permission_bot",
             ADMIN_ROLE: "admin"}  # fmt: skip
    return roles[role.upper()]


@dataclass
class Account:
    connect_fakesnow: Callable[..., Any]
    log: list[Sent | Login] = field(default_factory=list)  # everything, in order
    stages: dict[str, str] = field(default_factory=dict)  # external stage (upper case) -> its URL
    loaded: set[tuple[str, str]] = field(default_factory=set)  # COPY's load metadata: (table, file URL)
    copy_answer: Callable[[str, list[str], bool], list[tuple]] | None = None  # (table, file URLs, forced) -> rows
    grants: dict[str, list[tuple]] = field(default_factory=dict)  # SHOW GRANTS TO ROLE <role> rows, by role
    transaction_id: int | None = 1  # what CURRENT_TRANSACTION() answers inside a transaction

    def connect(self, **arguments: Any) -> Connection:
        profile = profile_of(arguments["role"])
        shown = {k: v for k, v in arguments.items() if k not in ("password", "private_key")}
        shown["credentials"] = "key pair" if "private_key" in arguments else "password"
        self.log.append(Login(profile, shown))
        # fakesnow keeps COPY's load history in the session's current database; Snowflake's COPY needs none.
        real = self.connect_fakesnow(**{"database": "RAW", **arguments})
        return Connection(self, real, profile, arguments["role"].upper(), arguments["warehouse"].upper())

    @property
    def sent(self) -> list[Sent]:
        return [item for item in self.log if isinstance(item, Sent)]

    @property
    def logins(self) -> list[Login]:
        return [item for item in self.log if isinstance(item, Login)]

    def answer(self, connection: Connection, sql: str) -> tuple[list[tuple], list[tuple]] | None:
        """(description, rows) for a statement fakesnow cannot run, else None."""
        if match := _STAGE_URL.match(sql):
            self.stages[match[1].upper()] = match[2]
            return None  # fakesnow creates the stage (it never reads an S3 one)
        if match := _EXTERNAL_COPY.match(sql):
            return self._copy(match[1].upper(), match[2].upper(), match[3])
        if (match := _STAGE_READ.match(sql)) and match[1].upper() in self.stages:
            return self._stage_read(sql, self.stages[match[1].upper()], match[2])
        if match := _SHOW_GRANTS.match(sql):
            return [("created_on",), ("privilege",), ("granted_on",), ("name",), ("granted_to",),
                    ("grantee_name",)], self.grants.get(match[1].upper(), [])  # fmt: skip
        if match := _ACKNOWLEDGED.match(sql):
            if match[1].upper().startswith("SELECT"):
                return [("CURRENT_TRANSACTION()",)], [(self.transaction_id if connection.in_transaction else None,)]
            return STATUS, [("Statement executed successfully.",)]
        return None

    def _copy(self, table: str, stage: str, options: str) -> tuple[list[tuple], list[tuple]]:
        url = self.stages[stage].rstrip("/")
        names = re.findall(r"'((?:[^'\\]|\\.)*)'", _FILES.search(options)[1])
        urls = [f"{url}/{name}" for name in names]
        forced = bool(re.search(r"\bFORCE = TRUE\b", options, re.I))
        if self.copy_answer is not None:
            rows = self.copy_answer(table, urls, forced)
        else:
            rows = [(u, "LOADED", n, n, 1, 0, None, None, None, None) for u in urls
                    if forced or (table, u) not in self.loaded for n in [_data_lines(u)]]  # fmt: skip
        self.loaded |= {(table, str(r[0])) for r in rows if len(r) > 1 and r[1] == "LOADED"}
        return ([(c,) for c in COPY_COLUMNS], rows) if rows and len(rows[0]) > 1 else (STATUS, rows or NOTHING_COPIED)

    def _stage_read(self, sql: str, url: str, path: str) -> tuple[list[tuple], list[tuple]]:
        bucket, prefix = landing.split_s3(landing.join(url, path))
        objects = landing.s3_client().list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        if sql.upper().startswith("LIST"):
            return [("name",), ("size",), ("md5",), ("last_modified",)], [
                (f"s3://{bucket}/{o['Key']}", o["Size"], o["ETag"], str(o["LastModified"])) for o in objects
            ]
        # METADATA$FILENAME and the smallest METADATA$FILE_ROW_NUMBER: as the current documentation describes
        # them, the file's path in the bucket and the first line after the header lines.
        return [("METADATA$FILENAME",), ("MIN(METADATA$FILE_ROW_NUMBER)",)], [(o["Key"], 1) for o in objects[:1]]


def _data_lines(url: str) -> int:
    """Lines of a landed file that are not CloudFront header lines."""
    bucket, key = landing.split_s3(url)
    body = landing.s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
    text = gzip.decompress(body) if key.endswith(".gz") else body
    return sum(1 for line in text.splitlines() if line and not line.startswith(b"#"))


class Connection:
    def __init__(self, account: Account, real: Any, profile: str, role: str, warehouse: str):
        self.account, self.real, self.profile, self.role, self.warehouse = account, real, profile, role, warehouse
        self.in_transaction = False

    def cursor(self) -> Cursor:
        return Cursor(self)

    def close(self) -> None:
        self.real.close()


class Cursor:
    def __init__(self, connection: Connection):
        self.connection = connection
        self.real = connection.real.cursor()
        self.description: list[tuple] | None = None
        self._rows: list[tuple] | None = None  # an answer of the account's, else the real cursor's

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor:
        con, account = self.connection, self.connection.account
        if sql.strip().upper().startswith("USE ROLE"):
            con.role = sql.split()[-1].upper()
        account.log.append(Sent(con.profile, con.role, con.warehouse, sql,
                                tuple(type(p).__name__ for p in params or ())))  # fmt: skip
        word = sql.strip().split(None, 1)[0].upper()
        con.in_transaction = word == "BEGIN" or (con.in_transaction and word not in ("COMMIT", "ROLLBACK"))
        answer = account.answer(con, sql)
        if answer is None:
            self._rows = None
            self.real.execute(sql, params)
            self.description = self.real.description
        else:
            self.description, self._rows = answer
        return self

    def fetchall(self) -> list[tuple]:
        return list(self._rows) if self._rows is not None else self.real.fetchall()

    def fetchmany(self, size: int) -> list[tuple]:
        if self._rows is None:
            return self.real.fetchmany(size)
        batch, self._rows = self._rows[:size], self._rows[size:]
        return batch

    def close(self) -> None:
        self.real.close()
