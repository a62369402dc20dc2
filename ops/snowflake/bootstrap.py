"""The pipeline's objects on Snowflake, made by an administrator so that the tasks need only the DML privileges
config/roles.yml grants them: databases, schemas, the bookkeeping and raw tables, file formats, the external
stages over the landing bucket, the loader's internal upload stage, the grants permifrost cannot express (on
stages and file formats) and the service users' statement and lock timeouts (dbt's sessions take no session
parameters of their own).

    python -m ops.snowflake bootstrap --plan            # the statements a fresh account needs (no connection)
    python -m ops.snowflake bootstrap --plan --online   # ... and the columns the account's tables lack
    python -m ops.snowflake bootstrap --apply           # run them

Statements converge, so it is run again after any change to a table, format or stage: objects are created when
missing, file formats and stages take their current definition (CREATE OR ALTER), tables get the columns they
lack (compared with the catalog); nothing is dropped. It signs in with the permission bot's login (PERMISSION_BOT_*,
a member of SYSADMIN and SECURITYADMIN; on a new account, before permifrost has made that user, an administrator's
own login in those variables). Then permifrost (the daily ApplyPermissions) grants on what exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from config.settings import replication
from config.settings import snowflake as snowflake_settings
from services.permifrost import users_with_default_role
from services.replication import STATE_COLUMNS
from targets import identifiers
from targets.formats import FileFormat
from targets.markers.stores import MARKER_COLUMNS, marker_table
from targets.warehouse import ledger
from targets.warehouse.session import Session, column_type
from targets.warehouse.snowflake_login import ADMIN_ROLE
from targets.warehouse.snowflake_sql import file_format_sql, sql_type, stage_sql
from tasks.extract.base import DailySource
from tasks.extract.catchup import DAILY_LOADS
from tasks.publish.write_back import QUEUE_COLUMNS, queue_table

GRANTS_ROLE = "SECURITYADMIN"  # holds MANAGE GRANTS: hands the upload stage over, sets the users' parameters


def sources() -> list[DailySource]:
    """The daily loads' sources, each once."""
    found = (cls(date=date.today(), **params).source() for cls, params in DAILY_LOADS)
    return list({source.table: source for source in found}.values())


def declared_tables() -> dict[str, tuple[tuple[str, str], ...]]:
    """Every table the pipeline declares, with its columns (types of targets.warehouse.session.COLUMN_TYPES)."""
    tables = {**ledger.BOOKKEEPING, marker_table(): MARKER_COLUMNS,
              identifiers.check(replication().state_table, 3): STATE_COLUMNS, queue_table(): QUEUE_COLUMNS}  # fmt: skip
    tables.update({source.table: tuple(source.columns()) for source in sources()})
    return tables


def _columns_sql(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{identifiers.check(name, 1)} {sql_type(column_type(ctype))}" for name, ctype in columns)


def _schema_of(name: str) -> str:
    return ".".join(identifiers.split_table(name)[:2]).lower()


def statements(session: Session | None = None) -> list[str]:
    """The bootstrap, in order. With a session on the account (as the objects' owner, ADMIN_ROLE), also the
    ALTER TABLE statements adding the columns its existing tables lack."""
    cfg = snowflake_settings()
    tables = declared_tables()
    formats: dict[str, FileFormat] = {s.file_format.name: s.file_format for s in sources()}
    stages = {s.stage: s.stage_url() for s in sources()}
    upload = identifiers.check(cfg.upload_stage, 3)
    schemas = sorted({_schema_of(name) for name in [*tables, *formats, *stages, upload]}
                     | {identifiers.check(replication().target_schema, 2).lower()})  # fmt: skip
    databases = sorted({s.split(".")[0] for s in schemas} | {identifiers.check(cfg.transform_database, 1).lower()})
    load_role = identifiers.check(cfg.load_role, 1)
    owned = [
        *(f"CREATE DATABASE IF NOT EXISTS {db}" for db in databases),
        *(f"CREATE SCHEMA IF NOT EXISTS {schema}" for schema in schemas),
        *(f"CREATE TABLE IF NOT EXISTS {name} ({_columns_sql(columns)})" for name, columns in tables.items()),
        *(missing_columns(session, tables) if session is not None else []),
        *(file_format_sql(fmt) for fmt in formats.values()),
        *(stage_sql(name, url, cfg.storage_integration) for name, url in stages.items()),
        f"CREATE STAGE IF NOT EXISTS {upload}",
        *(f"GRANT USAGE ON FILE FORMAT {name} TO ROLE {load_role}" for name in formats),
        *(f"GRANT USAGE ON STAGE {name} TO ROLE {load_role}" for name in stages),
    ]
    limits = f"STATEMENT_TIMEOUT_IN_SECONDS = {cfg.statement_timeout_seconds} LOCK_TIMEOUT = {cfg.lock_timeout_seconds}"
    users = [user for role in (cfg.load_role, cfg.transform_role) for user in users_with_default_role(role)]
    granted = [
        # The loader owns it: a stage's files are the owner's to put and remove, whoever made the stage.
        f"GRANT OWNERSHIP ON STAGE {upload} TO ROLE {load_role} COPY CURRENT GRANTS",
        *(f"ALTER USER IF EXISTS {user} SET {limits}" for user in users),
    ]
    return [f"USE ROLE {ADMIN_ROLE}", *owned, f"USE ROLE {GRANTS_ROLE}", *granted]


def missing_columns(session: Session, tables: dict[str, tuple[tuple[str, str], ...]]) -> list[str]:
    """ALTER TABLE ... ADD COLUMN for each declared column an existing table lacks (a catalog read per database
    that exists)."""
    session.execute(f"USE ROLE {ADMIN_ROLE}")  # the catalog as the tables' owner sees it
    databases = {str(row[1]).lower() for row in session.execute("SHOW TERSE DATABASES")}
    found = session.tables_columns([name for name in tables if name.split(".")[0] in databases])
    return [
        f"ALTER TABLE {name} ADD COLUMN {_columns_sql([(column, ctype)])}"
        for name, columns in tables.items()
        if found.get(name)
        for column, ctype in columns
        if column not in {present for present, _ in found[name]}
    ]


def apply(session: Session) -> list[str]:
    """Run the bootstrap on the account; returns the statements run."""
    todo = statements(session)
    for sql in todo:
        session.execute(sql)
    return todo
