"""What a role's statements need on Snowflake: ``Requirements`` reads each statement (sqlglot's Snowflake dialect)
and lists the privileges Snowflake checks for it - USAGE on the virtual warehouse, and on the database and schema of
every object; SELECT, INSERT, UPDATE or DELETE on tables; USAGE on a file format, on an external stage and on the
storage integration behind it; READ (and WRITE, to PURGE or REMOVE) on an internal stage, WRITE to PUT into it;
OWNERSHIP of a table that is altered or dropped or whose own stage is used; CREATE <kind> on the schema (CREATE
SCHEMA on the database) for what is created. Its creator owns what it creates: later statements on it need nothing
more. A statement of a kind not mapped here fails the check until it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from ops.snowflake.privileges import Privilege, object_name

TRANSACTION = (exp.Transaction, exp.Commit, exp.Rollback)
_STAGE_REF = re.compile(r"^@(?P<name>[A-Za-z0-9_$.%]+?)(?:/.*)?$")
_REMOVE = re.compile(r"^REMOVE\s+(@\S+)", re.I)
_FORMAT_NAME = re.compile(r"(?:FORMAT_NAME|FILE_FORMAT)\s*=>?\s*'([^']+)'", re.I)
_STAGE_INTEGRATION = re.compile(r"^CREATE (?:OR ALTER )?STAGE (?:IF NOT EXISTS )?(\S+) .*STORAGE_INTEGRATION = (\w+)",
                                re.I)  # fmt: skip


class UnmappedStatementError(ValueError):
    """A statement of a kind this module does not know the privileges of: map it before sending it."""


def stage_integrations(statements: Iterable[str]) -> dict[str, str]:
    """External stage -> its storage integration, from CREATE STAGE statements (the bootstrap's)."""
    return {object_name(m[1]): object_name(m[2]) for sql in statements if (m := _STAGE_INTEGRATION.match(sql))}


@dataclass
class Requirements:
    """The privileges one role's statements need, statement by statement (``of``)."""

    warehouse: str
    stages: Mapping[str, str]  # external stage -> integration; any other named stage is internal
    owned: set[tuple[str, str]] = field(default_factory=set)  # (kind, name) the role created

    def of(self, sql: str) -> set[Privilege]:
        """What the statement needs beyond what the role owns; raises UnmappedStatementError for an unknown kind."""
        statement = sqlglot.parse_one(sql, read="snowflake", error_level=sqlglot.ErrorLevel.RAISE)
        if isinstance(statement, TRANSACTION):
            return set()
        needed = {Privilege("USAGE", "WAREHOUSE", object_name(self.warehouse)), *self._objects(statement, sql)}
        return {p for p in needed if (p.kind, p.name) not in self.owned}

    def _objects(self, statement: exp.Expression, sql: str) -> set[Privilege]:
        if isinstance(statement, exp.Create):
            return self._create(statement)
        if isinstance(statement, (exp.Drop, exp.Alter)):
            return self._table_privilege("OWNERSHIP", self._table(statement.find(exp.Table)))
        if isinstance(statement, exp.Put):
            return self._stage(str(statement.args["target"].this), "PUT")
        if isinstance(statement, exp.Copy):
            return self._copy(statement, sql)
        if isinstance(statement, exp.Command) and (match := _REMOVE.match(sql)):
            return self._stage(match[1], "REMOVE")
        if isinstance(statement, exp.ListStage):
            return self._stage(statement.this.name, "READ")
        if isinstance(statement, (exp.Select, exp.Insert, exp.Update, exp.Delete)):
            return self._dml(statement, sql)
        raise UnmappedStatementError(f"no privileges known for: {sql[:200]}")

    def _dml(self, statement: exp.Expression, sql: str) -> set[Privilege]:
        target = None
        if isinstance(statement, (exp.Insert, exp.Update, exp.Delete)):
            target = self._table(statement.this.find(exp.Table) if isinstance(statement.this, exp.Schema)
                                 else statement.this)  # fmt: skip
        action = {exp.Insert: "INSERT", exp.Update: "UPDATE", exp.Delete: "DELETE"}.get(type(statement))
        needed = self._table_privilege(action, target) if target and action else set()
        for table in statement.find_all(exp.Table):
            name = self._table(table)
            if name.startswith("@"):  # a query of staged files
                needed |= self._stage(name, "READ")
                needed |= {p for fmt in _FORMAT_NAME.findall(sql)
                           for p in self._in_schema(Privilege("USAGE", "FILE FORMAT", object_name(fmt)))}  # fmt: skip
                continue
            if name == target:
                continue
            database, schema, _ = name.split(".")
            if schema == "INFORMATION_SCHEMA":  # shows what the role may see: it needs only the database
                needed.add(Privilege("USAGE", "DATABASE", database))
            else:
                needed |= self._table_privilege("SELECT", name)
        return needed

    def _copy(self, statement: exp.Copy, sql: str) -> set[Privilege]:
        needed = self._table_privilege("INSERT", self._table(statement.this.find(exp.Table)))
        purge = any(p.this.name.upper() == "PURGE" and p.expression.sql().upper() == "TRUE"
                    for p in statement.args.get("params") or [])  # fmt: skip
        for source in statement.args["files"]:
            for table in source.find_all(exp.Table):
                needed |= self._stage(table.this.name if isinstance(table.this, exp.Var) else table.sql(), "READ")
                if purge:
                    needed |= self._stage(table.this.name, "REMOVE")
        for fmt in _FORMAT_NAME.findall(sql):
            needed |= self._in_schema(Privilege("USAGE", "FILE FORMAT", object_name(fmt)))
        return needed

    def _create(self, statement: exp.Create) -> set[Privilege]:
        kind = str(statement.args["kind"]).upper()
        name = self._table(statement.this if isinstance(statement.this, exp.Table) else statement.this.this)
        self.owned.add((kind, name))
        parts = name.split(".")
        if kind == "SCHEMA":
            return {Privilege("USAGE", "DATABASE", parts[0]), Privilege("CREATE SCHEMA", "DATABASE", parts[0])}
        if kind in ("TABLE", "STAGE", "FILE FORMAT"):
            container = ".".join(parts[:2])
            return self._in_schema(Privilege(f"CREATE {kind}", "SCHEMA", container))
        raise UnmappedStatementError(f"no privileges known for CREATE {kind} {name}")

    def _stage(self, reference: str, action: str) -> set[Privilege]:
        """A stage used: READ (COPY, LIST), PUT or REMOVE; a table's own stage is its owner's only."""
        match = _STAGE_REF.match(reference)
        if match is None:
            raise UnmappedStatementError(f"not a stage reference: {reference}")
        database, schema, stage = object_name(match["name"]).split(".")
        if stage.startswith("%"):
            return self._table_privilege("OWNERSHIP", f"{database}.{schema}.{stage[1:]}")
        name = f"{database}.{schema}.{stage}"
        if name in self.stages:
            integration = Privilege("USAGE", "INTEGRATION", self.stages[name])
            return {integration, *self._in_schema(Privilege("USAGE", "STAGE", name))}
        return self._in_schema(Privilege("READ" if action == "READ" else "WRITE", "STAGE", name))

    def _table_privilege(self, privilege: str, table: str) -> set[Privilege]:
        return self._in_schema(Privilege(privilege, "TABLE", table))

    @staticmethod
    def _in_schema(needed: Privilege) -> set[Privilege]:
        """The privilege, and USAGE on the database and schema that hold its object."""
        parts = needed.name.split(".")
        return {needed, Privilege("USAGE", "DATABASE", parts[0]),
                *([Privilege("USAGE", "SCHEMA", ".".join(parts[:2]))] if len(parts) == 3 else [])}  # fmt: skip

    @staticmethod
    def _table(table: exp.Expression | None) -> str:
        if not isinstance(table, exp.Table):
            raise UnmappedStatementError(f"not a table: {table}")
        if isinstance(table.this, exp.Var):  # a stage (@db.schema.stage/...) where a table may stand
            return table.this.name
        return object_name(*(part.name for part in table.parts))
